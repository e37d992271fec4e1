"""The CalDAV provider: async facade over the blocking client, run with asyncio.to_thread."""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from planner.domain.busy import CalendarDataError
from planner.domain.intervals import TimeInterval
from planner.integrations.calendar.base import (
    CalendarBusy,
    CalendarInfo,
    ChangeSet,
    Conflict,
    Credentials,
    EventChange,
    EventRef,
    EventRequest,
    InvalidRequest,
    NotFoundAtProvider,
)
from planner.integrations.calendar.caldav.client import CalDAVClient
from planner.integrations.calendar.caldav.mapping import (
    busy_from_freebusy,
    current_sequence,
    interview_ics,
)
from planner.integrations.calendar.caldav.reader import CalendarReader, ReadBudget, shared_reader

log = logging.getLogger(__name__)
T = TypeVar("T")
# Wider than any UTC offset: how far beyond the window a server may file a local time.
ZONE_MARGIN = timedelta(hours=15)


class CalDAVProvider:
    """A CalDAV account (server URL + username + app password).

    Calendar ids and event ids are absolute URLs on the server. `time_zone` is the owner's
    zone for all-day and floating times; `owner_email` lets busy times skip events the owner
    declined. `use_freebusy_report=False` always computes busy times from the events.
    `allow_private` lets it reach a server on a loopback or private address (refused by
    default; see planner/integrations/outbound.py). Calendar objects are untrusted: `reader`
    reads them in child processes with a time budget per object and per call (the
    process-wide one by default)."""

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
        reader: CalendarReader | None = None,
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
        self.reader = reader or shared_reader()

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
        """Busy times by free-busy REPORT, or by a calendar-query and reading the events
        when the server refuses that REPORT. A calendar that is gone, or whose free-busy
        answer cannot be read, comes back with `error` (unknown, never free); events that
        cannot be read come back as `unknown` times."""
        answers = []
        budget = self.reader.budget()
        for calendar_id in calendar_ids:
            try:
                answers.append(await self._busy_of(calendar_id, start, end, budget))
            except NotFoundAtProvider as exc:
                answers.append(CalendarBusy(calendar_id, (), exc.message))
        return answers

    async def _busy_of(
        self, calendar_id: str, start: datetime, end: datetime, budget: ReadBudget
    ) -> CalendarBusy:
        if self.use_freebusy_report:
            data = await self._run(self.client.freebusy, calendar_id, start, end)
            if data is not None:
                try:
                    busy = await self._run(busy_from_freebusy, data, start, end, self.time_zone)
                except CalendarDataError as exc:
                    return CalendarBusy(
                        calendar_id, (), f"free-busy answer unreadable: {exc.message}"
                    )
                return CalendarBusy(calendar_id, busy)
            log.info("free-busy REPORT refused; computing busy times from events")
        # Servers evaluate floating and all-day events in their own zone (RFC 4791 9.9):
        # ask for a wider range, the reader then cuts the owner's local times exactly.
        objects = await self._run(
            self.client.events_in, calendar_id, start - ZONE_MARGIN, end + ZONE_MARGIN
        )
        changes = await self._read(list(objects), start, end, budget)
        read = sorted((b for c in changes for b in c.busy), key=lambda b: (b.start, b.end))
        unknown = tuple(u for c in changes for u in c.unknown)
        return CalendarBusy(calendar_id, tuple(read), unknown=unknown)

    async def _read(
        self,
        objects: list[tuple[str, str]],
        start: datetime,
        end: datetime,
        budget: ReadBudget,
    ) -> list[EventChange]:
        """Calendar objects as changes, read off the event loop in the reader's children."""
        if not objects:
            return []
        try:
            window = TimeInterval(start, end)
        except ValueError:
            raise InvalidRequest("the busy-time window must end after it starts") from None
        return await self.reader.read(
            objects,
            window=window,
            time_zone=self.time_zone,
            owner_email=self.owner_email,
            budget=budget,
        )

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
        raises SyncCursorExpired. Busy and unknown times are those of each member in
        [start, end). When the poll's reading budget ran out before every member was read,
        the old cursor is returned, so that the next poll reports (and reads) them again."""
        objects, token = await self._run(self.client.sync, calendar_id, cursor)
        changes = [
            EventChange(external_id=synced.url, removed=True)
            for synced in objects
            if synced.data is None
        ]
        present = [(synced.url, synced.data) for synced in objects if synced.data is not None]
        read = await self._read(present, start, end, self.reader.budget())
        changes.extend(read)
        if any(change.deferred for change in read):
            log.info("calendar %s: some objects are left for the next poll", calendar_id)
            token = cursor
        return ChangeSet(tuple(changes), token, full=cursor is None)

    def close(self) -> None:
        """Close the HTTP session (the provider is not usable afterwards)."""
        self.client.close()
