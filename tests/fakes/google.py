"""A fake Google Calendar API v3 and Google OAuth server speaking the documented JSON."""

import itertools
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes import FaultInjector, OAuthIssuer, serve, unauthorized


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(status: int, reason: str, message: str) -> JSONResponse:
    return JSONResponse(
        {
            "error": {
                "code": status,
                "message": message,
                "errors": [{"domain": "global", "reason": reason, "message": message}],
            }
        },
        status_code=status,
    )


@dataclass
class GoogleState:
    """What the fake Google holds: calendars with their events, and its sync log."""

    calendars: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    # calendars that freeBusy reports with an error (e.g. not shared with the user)
    freebusy_errors: dict[str, str] = field(default_factory=dict)
    meet_pending_reads: int = 1
    page_size: int = 2
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    sync_epoch: int = 0
    freebusy_calls: list[dict[str, Any]] = field(default_factory=list)
    inserts: int = 0

    def add_calendar(self, calendar_id: str, summary: str, *, primary: bool = False) -> None:
        self.calendars[calendar_id] = {
            "id": calendar_id,
            "summary": summary,
            "primary": primary,
            "accessRole": "owner",
        }
        self.events.setdefault(calendar_id, {})

    def put_event(self, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        """Store (or replace) an event as if the user made it; bumps etag and change order."""
        seq = next(self.counter)
        event = {**event, "etag": f'"{seq}"', "_seq": seq, "kind": "calendar#event"}
        event.setdefault("status", "confirmed")
        event.setdefault("iCalUID", f"{event['id']}@google.com")
        self.events[calendar_id][event["id"]] = event
        return event

    def expire_sync_tokens(self) -> None:
        self.sync_epoch += 1


def _public(event: dict[str, Any]) -> dict[str, Any]:
    if event.get("status") == "cancelled":
        return {"kind": "calendar#event", "id": event["id"], "status": "cancelled"}
    return {key: value for key, value in event.items() if not key.startswith("_")}


def build_app(state: GoogleState, issuer: OAuthIssuer) -> Starlette:
    """The Starlette app: OAuth endpoints and the Calendar API under /calendar/v3."""

    def guard(request: Request) -> Response | None:
        return None if issuer.authorized(request) else unauthorized()

    async def calendar_list(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        return JSONResponse(
            {"kind": "calendar#calendarList", "items": list(state.calendars.values())}
        )

    async def freebusy(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        body = await request.json()
        items = body.get("items", [])
        state.freebusy_calls.append(body)
        if len(items) > 50:
            return _error(400, "tooManyCalendarsRequested", "Too many calendars requested.")
        start, end = _parse(body["timeMin"]), _parse(body["timeMax"])
        if end - start > timedelta(days=90):
            return _error(400, "timeRangeEmpty", "The specified time range is too long.")
        calendars: dict[str, Any] = {}
        for item in items:
            calendar_id = item["id"]
            if calendar_id in state.freebusy_errors or calendar_id not in state.calendars:
                reason = state.freebusy_errors.get(calendar_id, "notFound")
                calendars[calendar_id] = {
                    "errors": [{"domain": "global", "reason": reason}],
                    "busy": [],
                }
                continue
            busy = []
            for event in state.events[calendar_id].values():
                if event.get("status") == "cancelled" or event.get("transparency") == "transparent":
                    continue
                event_start = _parse(event["start"]["dateTime"])
                event_end = _parse(event["end"]["dateTime"])
                if event_start < end and event_end > start:
                    busy.append(
                        {"start": _z(max(event_start, start)), "end": _z(min(event_end, end))}
                    )
            calendars[calendar_id] = {"busy": sorted(busy, key=lambda b: b["start"])}
        return JSONResponse(
            {
                "kind": "calendar#freeBusy",
                "timeMin": body["timeMin"],
                "timeMax": body["timeMax"],
                "calendars": calendars,
            }
        )

    async def events(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        calendar_id = request.path_params["calendar_id"]
        if calendar_id == "primary":
            calendar_id = next(c for c, v in state.calendars.items() if v.get("primary"))
        if calendar_id not in state.calendars:
            return _error(404, "notFound", "Not Found")
        stored = state.events[calendar_id]
        if request.method == "POST":
            body = await request.json()
            state.inserts += 1
            event_id = body.get("id") or f"gen{next(state.counter)}"
            if event_id in stored:
                return _error(409, "duplicate", "The requested identifier already exists.")
            conference = body.pop("conferenceData", None)
            if conference and request.query_params.get("conferenceDataVersion") == "1":
                body["conferenceData"] = {
                    "createRequest": {
                        **conference["createRequest"],
                        "status": {"statusCode": "pending"},
                    }
                }
                body["_pending_reads"] = state.meet_pending_reads
            body["id"] = event_id
            event = state.put_event(calendar_id, body)
            return JSONResponse(_public(event))
        params = request.query_params
        page_size = state.page_size
        if "syncToken" in params:
            epoch, _, since = params["syncToken"].partition(":")
            if not since.isdigit() or int(epoch.removeprefix("s")) != state.sync_epoch:
                return _error(
                    410,
                    "fullSyncRequired",
                    "Sync token is no longer valid, a full sync is required.",
                )
            chosen = [e for e in stored.values() if e["_seq"] > int(since)]
        else:
            start, end = _parse(params["timeMin"]), _parse(params["timeMax"])
            chosen = [
                e
                for e in stored.values()
                if e.get("status") != "cancelled"
                and _parse(e["start"].get("dateTime") or e["start"]["date"] + "T00:00:00Z") < end
                and _parse(e["end"].get("dateTime") or e["end"]["date"] + "T00:00:00Z") > start
            ]
        chosen.sort(key=lambda e: e["_seq"])
        offset = int(params.get("pageToken", "0"))
        page = chosen[offset : offset + page_size]
        answer: dict[str, Any] = {"kind": "calendar#events", "items": [_public(e) for e in page]}
        if offset + page_size < len(chosen):
            answer["nextPageToken"] = str(offset + page_size)
        else:
            latest = max((e["_seq"] for e in stored.values()), default=0)
            answer["nextSyncToken"] = f"s{state.sync_epoch}:{latest}"
        return JSONResponse(answer)

    async def event(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        calendar_id = request.path_params["calendar_id"]
        stored = state.events.get(calendar_id)
        event_id = request.path_params["event_id"]
        if stored is None or event_id not in stored:
            return _error(404, "notFound", "Not Found")
        current = stored[event_id]
        if request.method == "DELETE":
            if current.get("status") == "cancelled":
                return _error(410, "deleted", "Resource has been deleted")
            state.put_event(calendar_id, {**current, "status": "cancelled"})
            return Response(status_code=204)
        if request.method == "PATCH":
            if current.get("status") == "cancelled":
                return _error(404, "notFound", "Not Found")
            if_match = request.headers.get("if-match")
            if if_match and if_match != current["etag"]:
                return _error(412, "conditionNotMet", "Precondition Failed")
            changes = await request.json()
            changes.pop("id", None)
            changes.pop("conferenceData", None)
            return JSONResponse(_public(state.put_event(calendar_id, {**current, **changes})))
        # GET: a pending conference turns into success after some reads
        if current.get("_pending_reads") is not None:
            if current["_pending_reads"] <= 0:
                request_id = current["conferenceData"]["createRequest"]["requestId"]
                current["conferenceData"] = {
                    "createRequest": {
                        "requestId": request_id,
                        "conferenceSolutionKey": {"type": "hangoutsMeet"},
                        "status": {"statusCode": "success"},
                    },
                    "entryPoints": [
                        {
                            "entryPointType": "video",
                            "uri": f"https://meet.google.com/{current['id'][:3]}-abcd-efg",
                        },
                        {"entryPointType": "phone", "uri": "tel:+1-555-0100"},
                    ],
                    "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
                }
                current.pop("_pending_reads")
            else:
                current["_pending_reads"] -= 1
        return JSONResponse(_public(current))

    return Starlette(
        routes=[
            Route("/o/oauth2/v2/auth", issuer.authorize),
            Route("/token", issuer.token, methods=["POST"]),
            Route("/revoke", issuer.revoke_endpoint, methods=["POST"]),
            Route("/calendar/v3/users/me/calendarList", calendar_list),
            Route("/calendar/v3/freeBusy", freebusy, methods=["POST"]),
            Route("/calendar/v3/calendars/{calendar_id}/events", events, methods=["GET", "POST"]),
            Route(
                "/calendar/v3/calendars/{calendar_id}/events/{event_id}",
                event,
                methods=["GET", "PATCH", "DELETE"],
            ),
        ]
    )


@dataclass
class FakeGoogle:
    """A running fake: its URL, state, OAuth issuer and fault switch."""

    url: str
    state: GoogleState
    issuer: OAuthIssuer
    faults: FaultInjector

    def settings_env(self) -> dict[str, str]:
        """PLANNER_* variables pointing Planner at this fake."""
        return {
            "PLANNER_GOOGLE_API_BASE": self.url,
            "PLANNER_GOOGLE_AUTH_URL": f"{self.url}/o/oauth2/v2/auth",
            "PLANNER_GOOGLE_TOKEN_URL": f"{self.url}/token",
            "PLANNER_GOOGLE_REVOKE_URL": f"{self.url}/revoke",
            "PLANNER_GOOGLE_CLIENT_ID": self.issuer.client_id,
            "PLANNER_GOOGLE_CLIENT_SECRET": self.issuer.client_secret,
        }


@contextmanager
def run_fake_google() -> Iterator[FakeGoogle]:
    """Start the fake Google on a free loopback port."""
    state = GoogleState()
    issuer = OAuthIssuer()
    faults = FaultInjector(build_app(state, issuer))
    with serve(faults) as url:
        yield FakeGoogle(url=url, state=state, issuer=issuer, faults=faults)
