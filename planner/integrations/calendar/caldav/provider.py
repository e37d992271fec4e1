"""The CalDAV provider: async facade over the blocking client, run with asyncio.to_thread."""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from planner.domain.busy import CalendarDataError
from planner.integrations.calendar.base import (
    BusyTime,
    CalendarBusy,
    CalendarInfo,
    ChangeSet,
    Conflict,
    Credentials,
    EventChange,
    EventRef,
    EventRequest,
    InvalidRequest,
    InvalidResponse,
    NotFoundAtProvider,
)
from planner.integrations.calendar.caldav.client import CalDAVClient
from planner.integrations.calendar.caldav.mapping import (
    busy_from_events,
    busy_from_freebusy,
    current_sequence,
    interview_ics,
)

log = logging.getLogger(__name__)
T = TypeVar("T")


class CalDAVProvider:
    """A CalDAV account (server URL + username + app password).

    Calendar ids and event ids are absolute URLs on the server. `time_zone` is the owner's
    zone for all-day and floating times; `owner_email` lets busy times skip events the owner
    declined. `use_freebusy_report=False` always computes busy times from the events.
    `allow_private` lets it reach a server on a loopback or private address (refused by
    default; see planner/integrations/outbound.py)."""

    name = "caldav"

    def __init__(
        self,
        *,
        server_url: str,
        credentials: Credentials,
        time_zone: str = "UTC",
        owner_email: str | None = None,
        timeout: float = 20.0,
        use_freebusy_report: bool = True,
        clock: Callable[[], datetime] | None = None,
        allow_private: bool = False,
    ) -> None:
        self.client = CalDAVClient(
            url=server_url,
            username=credentials.username,
            password=credentials.password,
            timeout=timeout,
            allow_private=allow_private,
        )
        self.time_zone = time_zone
        self.owner_email = owner_email
        self.use_freebusy_report = use_freebusy_report
        self.clock = clock or (lambda: datetime.now(UTC))

    def __repr__(self) -> str:
        return f"CalDAVProvider(server_url={self.client.url!r})"

    async def _run(self, function: Callable[..., T], *args: object, **kwargs: object) -> T:
        return await asyncio.to_thread(function, *args, **kwargs)

    async def list_calendars(self) -> list[CalendarInfo]:
        """The account's calendars; a wrong URL, a server that is not CalDAV or a wrong
        password fail here with a clear error (use it to check a new connection)."""
        found = await self._run(self.client.calendars)
        return [
            CalendarInfo(id=url, name=name, primary=index == 0)
            for index, (url, name) in enumerate(found)
        ]

    async def busy_times(
        self, calendar_ids: list[str], start: datetime, end: datetime
    ) -> list[CalendarBusy]:
        """Busy times by free-busy REPORT, or by a calendar-query and expanding the events
        when the server refuses that REPORT. A calendar that is gone comes back with `error`."""
        answers = []
        for calendar_id in calendar_ids:
            try:
                busy = await self._busy_of(calendar_id, start, end)
            except NotFoundAtProvider as exc:
                answers.append(CalendarBusy(calendar_id, (), exc.message))
                continue
            answers.append(CalendarBusy(calendar_id, busy))
        return answers

    async def _busy_of(
        self, calendar_id: str, start: datetime, end: datetime
    ) -> tuple[BusyTime, ...]:
        if self.use_freebusy_report:
            data = await self._run(self.client.freebusy, calendar_id, start, end)
            if data is not None:
                try:
                    return busy_from_freebusy(data, start, end, self.time_zone)
                except CalendarDataError as exc:
                    raise InvalidResponse(f"CalDAV free-busy answer unreadable: {exc}") from None
            log.info("free-busy REPORT refused; computing busy times from events")
        objects = await self._run(self.client.events_in, calendar_id, start, end)
        busy: list[BusyTime] = []
        for url, data in objects:
            busy.extend(self._event_busy(url, data, start, end))
        return tuple(sorted(busy, key=lambda b: (b.start, b.end)))

    def _event_busy(
        self, url: str, data: str, start: datetime, end: datetime
    ) -> tuple[BusyTime, ...]:
        try:
            return busy_from_events(
                data,
                start,
                end,
                time_zone=self.time_zone,
                owner_email=self.owner_email,
                source=url,
            )
        except CalendarDataError as exc:
            # One unreadable event must not blind the whole calendar; it is skipped and logged.
            log.warning("skipping unreadable CalDAV event %s: %s", url, exc.message)
            return ()

    async def create_event(self, calendar_id: str, event: EventRequest) -> EventRef:
        """PUT `<key>.ics` with If-None-Match: *; when it exists already (an earlier attempt)
        the existing event is returned. CalDAV cannot make Teams or Meet meetings."""
        if event.online_meeting:
            raise InvalidRequest(f"a CalDAV calendar cannot create {event.online_meeting} meetings")
        url = await self._run(self.client.object_url, calendar_id, event.key)
        ics = interview_ics(event, sequence=0, stamp=self.clock(), organizer=self.owner_email)
        written = await self._run(self.client.put, url, ics, if_none_match=True, etag=None)
        if written.status in (409, 412):
            _, etag = await self._run(self.client.get, url)
        elif written.status == 404:
            raise NotFoundAtProvider(f"CalDAV calendar {calendar_id} not found")
        else:
            etag = written.etag
        return EventRef(
            external_id=url, etag=etag, meeting_url=event.meeting_url, ical_uid=event.key
        )

    async def update_event(self, calendar_id: str, ref: EventRef, event: EventRequest) -> EventRef:
        """PUT the new version If-Match the stored ETag (412 -> Conflict), SEQUENCE + 1."""
        data, etag = await self._run(self.client.get, ref.external_id)
        if ref.etag and etag and etag != ref.etag:
            raise Conflict("the CalDAV event changed since Planner wrote it")
        ics = interview_ics(
            event,
            sequence=current_sequence(data) + 1,
            stamp=self.clock(),
            organizer=self.owner_email,
        )
        written = await self._run(
            self.client.put, ref.external_id, ics, if_none_match=False, etag=ref.etag or etag
        )
        if written.status == 412:
            raise Conflict("the CalDAV event changed since Planner wrote it")
        if written.status == 404:
            raise NotFoundAtProvider("the CalDAV event is gone")
        return EventRef(
            external_id=ref.external_id,
            etag=written.etag,
            meeting_url=event.meeting_url,
            ical_uid=event.key,
        )

    async def delete_event(self, calendar_id: str, ref: EventRef) -> None:
        """DELETE (If-Match the ETag when the ref has one: 412 -> Conflict); an event
        already gone counts as done."""
        written = await self._run(self.client.delete, ref.external_id, etag=ref.etag)
        if written.status == 412:
            raise Conflict("the CalDAV event changed since Planner wrote it")

    async def changes(
        self, calendar_id: str, cursor: str | None, start: datetime, end: datetime
    ) -> ChangeSet:
        """sync-collection REPORT from `cursor` (every member without one); a refused token
        raises SyncCursorExpired. Busy times are those of each member in [start, end)."""
        objects, token = await self._run(self.client.sync, calendar_id, cursor)
        changes = []
        for synced in objects:
            if synced.data is None:
                changes.append(EventChange(external_id=synced.url, removed=True))
                continue
            busy = self._event_busy(synced.url, synced.data, start, end)
            changes.append(EventChange(external_id=synced.url, busy=busy))
        return ChangeSet(tuple(changes), token, full=cursor is None)

    def close(self) -> None:
        """Close the HTTP session (the provider is not usable afterwards)."""
        self.client.close()
