"""Request dependencies: a database session, and the actor behind the API key (rate-limited)."""

import time
from collections.abc import Iterator
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlmodel import Session

from planner.api.v1.problems import ApiProblem
from planner.services import api_keys
from planner.services.actor import Actor

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ApiKey",
    description="An API key created by an admin on the Integrations page: "
    "`Authorization: Bearer pk_...`.",
)


def get_session(request: Request) -> Iterator[Session]:
    """One database session per request (services commit)."""
    with request.app.state.session_factory() as session:
        yield session


def now(request: Request) -> datetime:
    """The current instant (the app's clock, replaceable in tests)."""
    return request.app.state.clock()


def api_actor(
    request: Request,
    session: Annotated[Session, Depends(get_session)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
) -> Actor:
    """The actor the key acts as (its creating admin), after counting the request against
    the key's rate limit. 401 without a valid key, 429 over the limit."""
    challenge = {"WWW-Authenticate": 'Bearer realm="planner"'}
    if credentials is None:
        raise ApiProblem(401, "Send an API key: `Authorization: Bearer <key>`.", headers=challenge)
    found = api_keys.authenticate(
        session=session, key=credentials.credentials, now=request.app.state.clock()
    )
    if found is None:
        raise ApiProblem(
            401, "The API key is unknown or was revoked; create a new one.", headers=challenge
        )
    key_id, actor = found
    decision = request.app.state.limiter.hit(f"key:{key_id}", time.time())
    if not decision.allowed:
        raise ApiProblem(
            429,
            f"Rate limit of {decision.limit} requests per minute reached for this key; "
            f"try again in {decision.retry_after} seconds.",
            kind="rate-limited",
            headers={"Retry-After": str(decision.retry_after)},
        )
    return actor


ActorDep = Annotated[Actor, Depends(api_actor)]
SessionDep = Annotated[Session, Depends(get_session)]
NowDep = Annotated[datetime, Depends(now)]
