"""The /api/v1 FastAPI app: routers, problem details, API-key auth and its OpenAPI document."""

from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from fastapi import FastAPI
from sqlmodel import Session

from planner.api.v1 import interviews, people, problems
from planner.api.v1.ratelimit import RateLimiter, default_limiter
from planner.db import session_scope
from planner.models.base import utcnow
from planner.settings import get_settings

PREFIX = "/api/v1"
DESCRIPTION = """\
Planner's API for the rest of the applicant tracking system.

Authenticate with an API key an admin created on the **Integrations** page:
`Authorization: Bearer pk_...`. A key acts as the admin who created it (with that user's
current role) and sees only its account; another account's id answers 404.
Times are RFC 3339 with an offset. Errors are `application/problem+json`; 422 names each
field to fix. Each key may make a limited number of requests per minute (429 with
`Retry-After` beyond it).
"""


def build_v1(
    *,
    session_factory: Callable[[], AbstractContextManager[Session]] | None = None,
    limiter: RateLimiter | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> FastAPI:
    """The API app, to be mounted at /api/v1 (its OpenAPI document: /api/v1/openapi.json)."""
    app = FastAPI(
        title="Planner API",
        version="1.0.0",
        description=DESCRIPTION,
        openapi_url="/openapi.json",
        docs_url="/docs",
        redoc_url=None,
        servers=[{"url": PREFIX}],
        root_path_in_servers=False,
    )
    app.state.session_factory = session_factory or session_scope
    app.state.limiter = limiter or default_limiter(get_settings().redis_url)
    app.state.clock = clock
    problems.install(app)
    app.include_router(people.router)
    app.include_router(interviews.router)
    base_openapi = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            problems.use_problem_media_type(base_openapi())
        assert app.openapi_schema is not None
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
    return app
