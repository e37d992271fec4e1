"""Demo staff calendars on the embedded Radicale: realistic busy weeks, connected as CalDAV."""

import base64
import hashlib
import hmac
import logging
import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import unquote
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import httpx
import icalendar
from sqlmodel import Session, select

from planner.domain.vocabulary import ConnectionStatus
from planner.integrations.calendar.base import Credentials
from planner.models import Account, CalendarConnection, StaffUser
from planner.services.connections import Invitee, save_connection
from planner.services.demo import DEMO_ACCOUNT, STAFF
from planner.settings import Settings

log = logging.getLogger(__name__)

CALENDAR_NAME = "planner-demo"
WEEKS = 4
# Demo staff with an e-mail address who are left without a calendar connection, so that the
# demo also shows a participant whose busy times are unknown.
NOT_SYNCED = "Sofia Lindqvist"
# The demo interview offers 10:00 and 14:00 Copenhagen time; the hour from 14:00 is kept
# free in every generated busy day so that the afternoon slots stay bookable.
KEPT_FREE = (time(14, 0), time(15, 0), "Europe/Copenhagen")
# Local start times (hour, minute) and lengths in minutes the generated meetings pick from.
MEETING_STARTS = ((8, 30), (9, 0), (10, 0), (11, 0), (12, 30), (13, 0), (14, 0), (15, 30))
MEETING_MINUTES = (30, 45, 60, 90)
MEETING_TITLES = (
    "1:1",
    "Hiring sync",
    "Budget review",
    "Customer call",
    "Design review",
    "Onboarding session",
    "Pipeline review",
    "Lunch with candidate panel",
)


@dataclass(frozen=True)
class DemoPerson:
    """A demo staff member who gets a calendar: login name on Radicale and time zone."""

    name: str
    email: str
    username: str
    time_zone: str
    password: str = field(repr=False)


def demo_password(settings: Settings, username: str) -> str:
    """The Radicale password of a demo login, derived from the secret key so that it is the
    same on every start (the htpasswd file and the stored credentials agree)."""
    digest = hmac.new(
        settings.secret_key.encode(), f"demo-radicale:{username}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode("ascii")


def demo_people(settings: Settings) -> list[DemoPerson]:
    """The demo staff who get a calendar: everyone with an e-mail address but NOT_SYNCED."""
    people = []
    for name, email, _role, zone, _locale in STAFF:
        if not email or name == NOT_SYNCED:
            continue
        username = email.split("@")[0]
        people.append(DemoPerson(name, email, username, zone, demo_password(settings, username)))
    return people


def htpasswd_lines(people: list[DemoPerson]) -> str:
    """Radicale's plain-text htpasswd file for the demo logins."""
    return "".join(f"{person.username}:{person.password}\n" for person in people)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _event(
    uid: str, summary: str, start: datetime | date, end: datetime | date, stamp: datetime
) -> icalendar.Event:
    event = icalendar.Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("summary", summary)
    event.add("dtstart", start)
    event.add("dtend", end)
    return event


def _calendar(event: icalendar.Event) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Planner//demo calendars//EN")
    calendar.add("version", "2.0")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar


def _collides_with_kept_free(start: datetime, end: datetime, day: date) -> bool:
    free_start, free_end, zone = KEPT_FREE
    tz = ZoneInfo(zone)
    kept_start = datetime.combine(day, free_start, tzinfo=tz)
    kept_end = datetime.combine(day, free_end, tzinfo=tz)
    return start < kept_end and kept_start < end


def demo_events(person: DemoPerson, today: date) -> dict[str, icalendar.Calendar]:
    """One person's demo calendar objects, keyed by UID: busy weekdays from `today` for
    WEEKS weeks, a weekly recurring meeting, an all-day event and a tentative meeting.

    UIDs and times depend only on the person and the date, so building again on the same
    day gives the same objects, and a later day adds the days that came into range."""
    tz = ZoneInfo(person.time_zone)
    stamp = datetime(2026, 1, 1, tzinfo=UTC)
    objects: dict[str, icalendar.Calendar] = {}

    def add(event: icalendar.Event) -> None:
        objects[str(event["uid"])] = _calendar(event)

    # A standing weekly meeting (no end), local time so that it follows DST.
    weekly_day = _monday(today) + timedelta(days=1)
    weekly = _event(
        f"demo-{person.username}-weekly-team-meeting",
        "Weekly team meeting",
        datetime.combine(weekly_day, time(11, 0), tzinfo=tz),
        datetime.combine(weekly_day, time(11, 45), tzinfo=tz),
        stamp,
    )
    weekly.add("rrule", {"freq": "weekly", "byday": "TU"})
    add(weekly)

    for offset in range(WEEKS * 7):
        day = today + timedelta(days=offset)
        if day.weekday() >= 5:
            continue
        rng = random.Random(f"{person.username}:{day.isoformat()}")  # noqa: S311 - demo data
        starts = sorted(rng.sample(MEETING_STARTS, rng.randint(2, 4)))
        taken_until: datetime | None = None
        for number, (hour, minute) in enumerate(starts):
            start = datetime.combine(day, time(hour, minute), tzinfo=tz)
            end = start + timedelta(minutes=rng.choice(MEETING_MINUTES))
            if taken_until and start < taken_until:
                continue
            if _collides_with_kept_free(start, end, day) or day.weekday() == 1 and hour == 11:
                continue
            add(
                _event(
                    f"demo-{person.username}-{day.isoformat()}-{number}",
                    rng.choice(MEETING_TITLES),
                    start.astimezone(UTC),
                    end.astimezone(UTC),
                    stamp,
                )
            )
            taken_until = end

    # An all-day event on the Friday of the week after next (never among the demo
    # interview's slots, which are on the next three weekdays).
    offsite = _monday(today) + timedelta(weeks=2, days=4)
    add(
        _event(
            f"demo-{person.username}-offsite-{offsite.isoformat()}",
            "Team offsite",
            offsite,
            offsite + timedelta(days=1),
            stamp,
        )
    )
    # A tentative meeting on the Thursday of next week at 16:00 local.
    maybe_day = _monday(today) + timedelta(weeks=1, days=3)
    maybe = _event(
        f"demo-{person.username}-tentative-{maybe_day.isoformat()}",
        "Maybe: vendor demo",
        datetime.combine(maybe_day, time(16, 0), tzinfo=tz).astimezone(UTC),
        datetime.combine(maybe_day, time(17, 0), tzinfo=tz).astimezone(UTC),
        stamp,
    )
    maybe.add("status", "TENTATIVE")
    add(maybe)
    return objects


@dataclass(frozen=True)
class DemoCalendarsSeed:
    """What one seeding added: events written to Radicale and connections stored."""

    events_added: int
    connections_added: int


def _calendar_url(server_url: str, username: str) -> str:
    return f"{server_url.rstrip('/')}/{username}/{CALENDAR_NAME}/"


_MKCALENDAR = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    "<D:set><D:prop><D:displayname>{name}</D:displayname>"
    '<C:supported-calendar-component-set><C:comp name="VEVENT"/>'
    "</C:supported-calendar-component-set></D:prop></D:set></C:mkcalendar>"
)


def _ensure_calendar(http: httpx.Client, server_url: str, person: DemoPerson) -> str:
    auth = (person.username, person.password)
    # Radicale creates a user's principal collection when that user first asks for it.
    http.request("PROPFIND", f"{server_url.rstrip('/')}/{person.username}/", auth=auth,
                 headers={"Depth": "0"}).raise_for_status()  # fmt: skip
    url = _calendar_url(server_url, person.username)
    found = http.request("PROPFIND", url, auth=auth, headers={"Depth": "0"})
    if found.status_code == 404:
        made = http.request(
            "MKCALENDAR",
            url,
            auth=auth,
            content=_MKCALENDAR.format(name=f"{person.name} (demo)"),
            headers={"Content-Type": "application/xml; charset=utf-8"},
        )
        made.raise_for_status()
    else:
        found.raise_for_status()
    return url


def _existing_names(http: httpx.Client, calendar_url: str, person: DemoPerson) -> set[str]:
    """The resource names (`<uid>.ics`) already in the calendar, from one PROPFIND."""
    answer = http.request(
        "PROPFIND",
        calendar_url,
        auth=(person.username, person.password),
        headers={"Depth": "1", "Content-Type": "application/xml; charset=utf-8"},
        content='<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/>'
        "</D:prop></D:propfind>",
    )
    answer.raise_for_status()
    names = set()
    # The demo's own Radicale on loopback answers here, not an untrusted server.
    for response in ElementTree.fromstring(answer.content).iter("{DAV:}href"):  # noqa: S314
        href = unquote((response.text or "").rstrip("/"))
        if href.endswith(".ics"):
            names.add(href.rsplit("/", 1)[-1])
    return names


def _put_events(
    http: httpx.Client,
    calendar_url: str,
    person: DemoPerson,
    objects: dict[str, icalendar.Calendar],
) -> int:
    """PUT each object that is not there yet under `<uid>.ics` (If-None-Match: * as well, so
    that a concurrent seeding cannot overwrite one)."""
    existing = _existing_names(http, calendar_url, person)
    added = 0
    for uid, calendar in objects.items():
        if f"{uid}.ics" in existing:
            continue
        answer = http.put(
            f"{calendar_url}{uid}.ics",
            content=calendar.to_ical(),
            auth=(person.username, person.password),
            headers={"Content-Type": "text/calendar; charset=utf-8", "If-None-Match": "*"},
        )
        if answer.status_code == 412:
            continue
        answer.raise_for_status()
        added += 1
    return added


def seed_demo_calendars(
    *, session: Session, settings: Settings, server_url: str, today: date, now: datetime
) -> DemoCalendarsSeed:
    """Give the demo staff (all with e-mail but NOT_SYNCED) a calendar on the demo Radicale
    at `server_url` with busy weeks from `today`, and a CalDAV connection to it (credentials
    encrypted by the connections service). Running it again adds only what is missing."""
    account = session.exec(select(Account).where(Account.name == DEMO_ACCOUNT)).first()
    if account is None or account.id is None:
        return DemoCalendarsSeed(0, 0)
    users = {
        user.name: user
        for user in session.exec(select(StaffUser).where(StaffUser.account_id == account.id))
    }
    session.rollback()  # no transaction open while Radicale is asked
    events_added = connections_added = 0
    with httpx.Client(timeout=20) as http:
        for person in demo_people(settings):
            user = users.get(person.name)
            if user is None or user.id is None:
                continue
            calendar_url = _ensure_calendar(http, server_url, person)
            events_added += _put_events(http, calendar_url, person, demo_events(person, today))
            live = session.exec(
                select(CalendarConnection.id).where(
                    CalendarConnection.staff_user_id == user.id,
                    CalendarConnection.provider == "caldav",
                    CalendarConnection.server_url == server_url,
                    CalendarConnection.calendar_id == calendar_url,
                    CalendarConnection.status != ConnectionStatus.DISCONNECTED.value,
                )
            ).first()
            session.rollback()
            if live is not None:
                continue
            save_connection(
                session=session,
                invitee=Invitee(user.id, account.id, user.name, user.email or ""),
                provider="caldav",
                credentials=Credentials(username=person.username, password=person.password),
                settings=settings,
                now=now,
                server_url=server_url,
                calendar_id=calendar_url,
                external_account=person.username,
            )
            connections_added += 1
    log.info("demo calendars: %d events and %d connections added", events_added, connections_added)
    return DemoCalendarsSeed(events_added, connections_added)
