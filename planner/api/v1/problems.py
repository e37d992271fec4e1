"""Errors as RFC 9457 problem details (application/problem+json), and their OpenAPI entries."""

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

from planner.services.errors import InvalidInput, NotFound, PermissionDenied
from planner.services.interview_overview import StaleInterview

log = logging.getLogger(__name__)

MEDIA_TYPE = "application/problem+json"
TYPE_BASE = "urn:planner:problem:"


class FieldProblem(BaseModel):
    """One field of the request that needs fixing."""

    field: str
    message: str


class Problem(BaseModel):
    """What went wrong: `title` names the kind, `detail` says what to do."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldProblem] | None = None


class ApiProblem(Exception):
    """Raised by the API layer to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        kind: str | None = None,
        headers: dict[str, str] | None = None,
        errors: list[FieldProblem] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.kind = kind
        self.headers = headers
        self.errors = errors


def _slug(status: int) -> str:
    return HTTPStatus(status).phrase.lower().replace(" ", "-").replace("'", "")


def problem_response(
    status: int,
    detail: str,
    *,
    kind: str | None = None,
    headers: dict[str, str] | None = None,
    errors: list[FieldProblem] | None = None,
) -> JSONResponse:
    """A problem document with the given HTTP status."""
    body = Problem(
        type=TYPE_BASE + (kind or _slug(status)),
        title=HTTPStatus(status).phrase,
        status=status,
        detail=detail,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in loc]
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    return ".".join(parts) or "body"


def _validation_errors(exc: RequestValidationError) -> list[FieldProblem]:
    found: list[FieldProblem] = []
    for error in exc.errors():
        message = str(error.get("msg", "is not valid")).removeprefix("Value error, ")
        if error.get("type") == "json_invalid":
            message = "is not valid JSON"
        found.append(FieldProblem(field=_field(error.get("loc", ())), message=message))
    return found


def install(app: FastAPI) -> None:
    """Answer every error of the API app with a problem document."""

    async def api_problem(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiProblem)
        return problem_response(
            exc.status, exc.detail, kind=exc.kind, headers=exc.headers, errors=exc.errors
        )

    async def not_found(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, NotFound)
        return problem_response(404, exc.message)

    async def denied(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PermissionDenied)
        return problem_response(403, exc.message)

    async def invalid(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, InvalidInput)
        errors = [FieldProblem(field=exc.field, message=exc.reason)]
        return problem_response(422, exc.message, kind="invalid-input", errors=errors)

    async def stale(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StaleInterview)
        detail = "The interview changed since its ETag was read; read it again and retry."
        return problem_response(412, detail, kind="interview-changed")

    async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = _validation_errors(exc)
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        return problem_response(422, detail, kind="invalid-input", errors=errors)

    async def http_error(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else HTTPStatus(exc.status_code).phrase
        return problem_response(exc.status_code, detail, headers=exc.headers)

    async def unexpected(_request: Request, exc: Exception) -> JSONResponse:
        log.error("API request failed: %s", type(exc).__name__, exc_info=exc)
        return problem_response(500, "Something went wrong on our side; please try again.")

    app.add_exception_handler(ApiProblem, api_problem)
    app.add_exception_handler(NotFound, not_found)
    app.add_exception_handler(PermissionDenied, denied)
    app.add_exception_handler(InvalidInput, invalid)
    app.add_exception_handler(StaleInterview, stale)
    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


_DESCRIPTIONS = {
    401: "The API key is missing, unknown or revoked.",
    403: "The key's user may not do this (e.g. only admins manage staff).",
    404: "No such resource in this account.",
    412: "`If-Match` names an older version of the interview (another change came first).",
    409: "The request conflicts with the current state (e.g. the time was just booked).",
    422: "The request is not valid; `errors` names each field to fix.",
    429: "Too many requests with this key; try again after `Retry-After` seconds.",
}
_HEADERS: dict[int, dict[str, Any]] = {
    401: {
        "WWW-Authenticate": {
            "description": "How to authenticate: `Bearer`.",
            "schema": {"type": "string"},
        }
    },
    429: {
        "Retry-After": {
            "description": "Seconds until the key may be used again.",
            "schema": {"type": "integer", "minimum": 0},
        }
    },
}


def problems(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` entries for these problem statuses (401 and 429 always)."""
    entries: dict[int | str, dict[str, Any]] = {}
    for status in sorted({401, 429, *statuses}):
        entry: dict[str, Any] = {"model": Problem, "description": _DESCRIPTIONS[status]}
        if status in _HEADERS:
            entry["headers"] = _HEADERS[status]
        entries[status] = entry
    return entries


def use_problem_media_type(schema: dict[str, Any]) -> None:
    """Declare problem responses as application/problem+json in the OpenAPI document."""
    ref = "#/components/schemas/Problem"
    for path in schema.get("paths", {}).values():
        for operation in path.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                json_body = content.get("application/json")
                if json_body and json_body.get("schema", {}).get("$ref") == ref:
                    content[MEDIA_TYPE] = content.pop("application/json")
