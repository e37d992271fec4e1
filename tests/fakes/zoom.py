"""A fake Zoom REST API (meetings create/update/delete) and Zoom OAuth (HTTP Basic client auth)."""

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes import FaultInjector, OAuthIssuer, serve


@dataclass
class ZoomState:
    """Meetings by id."""

    meetings: dict[str, dict[str, Any]] = field(default_factory=dict)
    counter: itertools.count = field(default_factory=lambda: itertools.count(85746065000))


def build_app(state: ZoomState, issuer: OAuthIssuer) -> Starlette:
    """OAuth under /oauth, the API under /v2."""

    def denied(request: Request) -> Response | None:
        if issuer.authorized(request):
            return None
        return JSONResponse({"code": 124, "message": "Invalid access token."}, status_code=401)

    async def create(request: Request) -> Response:
        if (refused := denied(request)) is not None:
            return refused
        body = await request.json()
        if body.get("type") != 2 or not body.get("start_time", "").endswith("Z"):
            return JSONResponse({"code": 300, "message": "Invalid meeting"}, status_code=400)
        meeting_id = next(state.counter)
        meeting = {
            "id": meeting_id,
            "uuid": f"uuid-{meeting_id}",
            "host_id": "host-abc",
            "topic": body["topic"],
            "type": 2,
            "start_time": body["start_time"],
            "duration": body["duration"],
            "timezone": body.get("timezone", "UTC"),
            "password": "x7Yz9q",
            "join_url": f"https://zoom.us/j/{meeting_id}?pwd=abc",
            "start_url": f"https://zoom.us/s/{meeting_id}?zak=HOST-SECRET-TOKEN",
        }
        state.meetings[str(meeting_id)] = meeting
        return JSONResponse(meeting, status_code=201)

    async def patch(request: Request) -> Response:
        if (refused := denied(request)) is not None:
            return refused
        meeting = state.meetings.get(request.path_params["meeting_id"])
        if meeting is None:
            return JSONResponse(
                {"code": 3001, "message": "Meeting does not exist."}, status_code=404
            )
        body = await request.json()
        for key in ("topic", "start_time", "duration", "agenda"):
            if key in body:
                meeting[key] = body[key]
        return Response(status_code=204)

    async def delete(request: Request) -> Response:
        if (refused := denied(request)) is not None:
            return refused
        if state.meetings.pop(request.path_params["meeting_id"], None) is None:
            return JSONResponse(
                {"code": 3001, "message": "Meeting does not exist."}, status_code=404
            )
        return Response(status_code=204)

    return Starlette(
        routes=[
            Route("/oauth/authorize", issuer.authorize),
            Route("/oauth/token", issuer.token, methods=["POST"]),
            Route("/v2/users/me/meetings", create, methods=["POST"]),
            Route("/v2/meetings/{meeting_id}", delete, methods=["DELETE"]),
            Route("/v2/meetings/{meeting_id}", patch, methods=["PATCH"]),
        ]
    )


@dataclass
class FakeZoom:
    """A running fake Zoom."""

    url: str
    state: ZoomState
    issuer: OAuthIssuer
    faults: FaultInjector


@contextmanager
def run_fake_zoom() -> Iterator[FakeZoom]:
    """Start the fake Zoom (refresh tokens rotate; client auth is HTTP Basic, as Zoom's)."""
    state = ZoomState()
    issuer = OAuthIssuer(rotate_refresh_tokens=True, basic_client_auth=True)
    faults = FaultInjector(build_app(state, issuer))
    with serve(faults) as url:
        yield FakeZoom(url=url, state=state, issuer=issuer, faults=faults)
