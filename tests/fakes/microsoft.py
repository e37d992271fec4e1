"""A fake Microsoft Graph (calendars, getSchedule, events, calendarView delta) and its OAuth."""

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


def _parse(value: dict[str, str] | str) -> datetime:
    text = value["dateTime"] if isinstance(value, dict) else value
    moment = datetime.fromisoformat(text.replace("Z", "")[:26])
    return moment.replace(tzinfo=UTC)


def _graph(moment: datetime) -> dict[str, str]:
    return {"dateTime": moment.strftime("%Y-%m-%dT%H:%M:%S.0000000"), "timeZone": "UTC"}


def _error(status: int, code: str, message: str) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


@dataclass
class GraphState:
    """Calendars, events, schedules of other mailboxes, and the delta log."""

    calendars: dict[str, dict[str, Any]] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # id -> event (+ _calendar)
    schedules: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    page_size: int = 2
    delta_epoch: int = 0
    removed: dict[str, int] = field(default_factory=dict)  # id -> seq of removal
    schedule_calls: list[dict[str, Any]] = field(default_factory=list)
    teams_allowed: bool = True

    def add_calendar(self, calendar_id: str, name: str, *, default: bool = False) -> None:
        self.calendars[calendar_id] = {
            "id": calendar_id,
            "name": name,
            "isDefaultCalendar": default,
            "canEdit": True,
        }

    def default_calendar(self) -> str:
        return next(c for c, v in self.calendars.items() if v["isDefaultCalendar"])

    def put_event(self, calendar_id: str, event: dict[str, Any]) -> dict[str, Any]:
        seq = next(self.counter)
        event = {**event, "@odata.etag": f'W/"{seq}"', "_seq": seq, "_calendar": calendar_id}
        event.setdefault("showAs", "busy")
        event.setdefault("iCalUId", f"040000008200E00074C5B7101A82E008{seq:08d}")
        self.events[event["id"]] = event
        self.removed.pop(event["id"], None)
        return event

    def remove_event(self, event_id: str) -> None:
        self.events.pop(event_id, None)
        self.removed[event_id] = next(self.counter)

    def expire_delta_tokens(self) -> None:
        self.delta_epoch += 1


def _public(event: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in event.items() if not key.startswith("_")}


def build_app(state: GraphState, issuer: OAuthIssuer) -> Starlette:
    """The Starlette app: /{tenant}/oauth2/v2.0/* and Graph under /v1.0."""

    def guard(request: Request) -> Response | None:
        return None if issuer.authorized(request) else unauthorized()

    def calendar_of(request: Request) -> str | None:
        calendar_id = request.path_params.get("calendar_id")
        if calendar_id is None:
            return state.default_calendar()
        return calendar_id if calendar_id in state.calendars else None

    async def calendars(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        return JSONResponse({"value": list(state.calendars.values())})

    async def calendar(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        calendar_id = calendar_of(request)
        if calendar_id is None:
            return _error(404, "ErrorItemNotFound", "The specified object was not found.")
        allowed = ["teamsForBusiness"] if state.teams_allowed else []
        return JSONResponse(
            {**state.calendars[calendar_id], "allowedOnlineMeetingProviders": allowed}
        )

    async def get_schedule(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        body = await request.json()
        state.schedule_calls.append(body)
        if len(body["schedules"]) > 20:
            return _error(400, "ErrorInvalidParameter", "Too many schedules.")
        start, end = _parse(body["startTime"]), _parse(body["endTime"])
        if end - start >= timedelta(days=62):
            return _error(400, "ErrorInvalidTimeInterval", "The time interval is too long.")
        values = []
        for address in body["schedules"]:
            if address not in state.schedules:
                values.append(
                    {
                        "scheduleId": address,
                        "error": {
                            "message": "Not found",
                            "responseCode": "ErrorMailboxNotFound",
                        },
                    }
                )
                continue
            items = [
                {"status": item["status"], "start": _graph(s), "end": _graph(e)}
                for item in state.schedules[address]
                if (s := item["start"]) < end and (e := item["end"]) > start
            ]
            values.append({"scheduleId": address, "availabilityView": "0", "scheduleItems": items})
        return JSONResponse({"value": values})

    async def create_event(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        calendar_id = calendar_of(request)
        if calendar_id is None:
            return _error(404, "ErrorItemNotFound", "The specified object was not found.")
        body = await request.json()
        transaction = body.get("transactionId")
        for existing in state.events.values():
            if transaction and existing.get("transactionId") == transaction:
                return JSONResponse(_public(existing), status_code=201)
        event_id = f"AAMk{next(state.counter):06d}"
        if body.get("isOnlineMeeting"):
            body["onlineMeeting"] = {
                "joinUrl": f"https://teams.microsoft.com/l/meetup-join/{event_id}"
            }
        event = state.put_event(calendar_id, {**body, "id": event_id})
        return JSONResponse(_public(event), status_code=201)

    async def event(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        current = state.events.get(request.path_params["event_id"])
        if current is None:
            return _error(404, "ErrorItemNotFound", "The specified object was not found.")
        if request.method == "DELETE":
            state.remove_event(current["id"])
            return Response(status_code=204)
        if request.method == "PATCH":
            if_match = request.headers.get("if-match")
            if if_match and if_match != current["@odata.etag"]:
                return _error(412, "ErrorIrresolvableConflict", "The change key is stale.")
            changes = await request.json()
            return JSONResponse(
                _public(state.put_event(current["_calendar"], {**current, **changes}))
            )
        return JSONResponse(_public(current))

    async def delta(request: Request) -> Response:
        if (denied := guard(request)) is not None:
            return denied
        calendar_id = calendar_of(request)
        if calendar_id is None:
            return _error(404, "ErrorItemNotFound", "The specified object was not found.")
        params = request.query_params
        base = f"{str(request.base_url).rstrip('/')}{request.url.path}"
        if "$deltatoken" in params or "$skiptoken" in params:
            token = params.get("$deltatoken") or params["$skiptoken"]
            epoch, since, offset, start_text, end_text = token.split("~")
            if int(epoch) != state.delta_epoch:
                return _error(410, "syncStateNotFound", "The sync state is not found.")
            since_seq, offset_n = int(since), int(offset)
            if "$deltatoken" in params:
                offset_n = 0
        else:
            start_text, end_text = params["startDateTime"], params["endDateTime"]
            since_seq, offset_n = 0, 0
        start, end = _parse(start_text), _parse(end_text)
        entries: list[tuple[int, dict[str, Any]]] = []
        for item in state.events.values():
            if item["_calendar"] != calendar_id or item["_seq"] <= since_seq:
                continue
            if _parse(item["start"]) < end and _parse(item["end"]) > start:
                entries.append((item["_seq"], _public(item)))
        if since_seq:
            for event_id, seq in state.removed.items():
                if seq > since_seq:
                    entries.append((seq, {"id": event_id, "@removed": {"reason": "deleted"}}))
        entries.sort(key=lambda pair: pair[0])
        page = entries[offset_n : offset_n + state.page_size]
        answer: dict[str, Any] = {"value": [entry for _, entry in page]}
        if offset_n + state.page_size < len(entries):
            offset = offset_n + state.page_size
            token = f"{state.delta_epoch}~{since_seq}~{offset}~{start_text}~{end_text}"
            answer["@odata.nextLink"] = f"{base}?$skiptoken={token}"
        else:
            latest = max(
                [e["_seq"] for e in state.events.values()] + list(state.removed.values()) + [0]
            )
            token = f"{state.delta_epoch}~{latest}~0~{start_text}~{end_text}"
            answer["@odata.deltaLink"] = f"{base}?$deltatoken={token}"
        return JSONResponse(answer)

    return Starlette(
        routes=[
            Route("/{tenant}/oauth2/v2.0/authorize", issuer.authorize),
            Route("/{tenant}/oauth2/v2.0/token", issuer.token, methods=["POST"]),
            Route("/v1.0/me/calendars", calendars),
            Route("/v1.0/me/calendar", calendar),
            Route("/v1.0/me/calendars/{calendar_id}", calendar),
            Route("/v1.0/me/calendar/getSchedule", get_schedule, methods=["POST"]),
            Route("/v1.0/me/calendar/events", create_event, methods=["POST"]),
            Route("/v1.0/me/calendars/{calendar_id}/events", create_event, methods=["POST"]),
            Route("/v1.0/me/events/{event_id}", event, methods=["GET", "PATCH", "DELETE"]),
            Route("/v1.0/me/calendar/calendarView/delta", delta),
            Route("/v1.0/me/calendars/{calendar_id}/calendarView/delta", delta),
        ]
    )


@dataclass
class FakeGraph:
    """A running fake Graph: URL, state, OAuth issuer, fault switch."""

    url: str
    state: GraphState
    issuer: OAuthIssuer
    faults: FaultInjector


@contextmanager
def run_fake_microsoft() -> Iterator[FakeGraph]:
    """Start the fake Graph (with refresh-token rotation, as Microsoft does)."""
    state = GraphState()
    issuer = OAuthIssuer(rotate_refresh_tokens=True)
    faults = FaultInjector(build_app(state, issuer))
    with serve(faults) as url:
        yield FakeGraph(url=url, state=state, issuer=issuer, faults=faults)
