"""A blocking CalDAV client over the `caldav` library whose failures are Planner's typed errors."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote, urlsplit

from caldav.davclient import DAVClient
from caldav.lib import error as dav_error
from lxml import etree  # type: ignore[import-untyped]

from planner.integrations.calendar.base import (
    AddressNotAllowed,
    AuthExpired,
    InvalidRequest,
    InvalidResponse,
    NotFoundAtProvider,
    ProviderError,
    RateLimited,
    SyncCursorExpired,
    Unavailable,
)
from planner.integrations.outbound import blocked_in, guarded_niquests_session

log = logging.getLogger(__name__)

T = TypeVar("T")
# Statuses with which servers refuse a free-busy-query REPORT they do not implement.
FREEBUSY_REFUSED = frozenset({400, 403, 404, 405, 415, 422, 500, 501})
SYNC_TOKEN_PRECONDITION = "{DAV:}valid-sync-token"  # noqa: S105 - an XML element name


def _transport_errors() -> tuple[type[BaseException], ...]:
    """The connection and timeout errors of whichever HTTP library caldav runs on."""
    found: list[type[BaseException]] = [ConnectionError, TimeoutError]
    for module_name in ("niquests", "requests"):
        try:
            module = __import__(f"{module_name}.exceptions", fromlist=["RequestException"])
        except ImportError:
            continue
        found.append(module.RequestException)
    return tuple(found)


TRANSPORT_ERRORS = _transport_errors()


@dataclass(frozen=True, slots=True)
class Written:
    """The answer to a conditional PUT or DELETE."""

    status: int
    etag: str | None


@dataclass(frozen=True, slots=True)
class SyncedObject:
    """One member reported by sync-collection: its URL, and its data unless it was removed."""

    url: str
    data: str | None


class CalDAVClient:
    """One account on one CalDAV server: discovery and reads through the `caldav` library,
    conditional writes through its raw request method. Every method blocks; the provider
    runs them in a thread."""

    def __init__(
        self,
        *,
        url: str,
        username: str,
        password: str,
        timeout: float,
        allow_private: bool = False,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise InvalidRequest("the CalDAV address must be an http(s) URL")
        if parts.username or parts.password:
            raise InvalidRequest("the CalDAV address must not contain a user name or password")
        self.url = url
        self._host = parts.netloc
        self._dav = DAVClient(
            url=url,
            username=username or None,
            password=password if username else None,
            # Send the login with the first request: servers delay 401 answers (Radicale by
            # a second) and a probe without credentials would pay that on every job.
            auth_type="basic" if username else None,
            timeout=int(timeout) if timeout >= 1 else 1,
            rate_limit_handle=False,
            enable_rfc6764=False,
        )
        # Only public addresses (private ones with allow_private), checked when connecting;
        # no redirects followed, so the login is never sent to another host
        # (planner/integrations/outbound.py).
        self._dav.session.close()
        self._dav.session = guarded_niquests_session(allow_private=allow_private)

    def __repr__(self) -> str:  # never the password
        return f"CalDAVClient(url={self.url!r})"

    def close(self) -> None:
        self._dav.close()

    def call(self, action: Callable[[], T], what: str) -> T:
        """Run one library action, translating whatever it raises."""
        try:
            return action()
        except ProviderError:
            raise
        except dav_error.RateLimitError as exc:
            raise RateLimited(
                f"CalDAV server rate limited {what}", retry_after=exc.retry_after_seconds
            ) from None
        except dav_error.AuthorizationError as exc:
            if exc.status == 401:
                raise AuthExpired(
                    "the CalDAV server refused the username or password (use an app password)"
                ) from None
            if SYNC_TOKEN_PRECONDITION in exc.preconditions:
                raise SyncCursorExpired("CalDAV sync token no longer valid; full resync") from None
            raise InvalidRequest(f"the CalDAV server denied {what} (403)") from None
        except dav_error.NotFoundError:
            raise NotFoundAtProvider(f"CalDAV {what}: not found") from None
        except dav_error.DAVError as exc:
            self._raise_for_dav_error(exc, what)
        except TRANSPORT_ERRORS as exc:
            if blocked_in(exc):
                raise AddressNotAllowed(
                    f"the CalDAV server at {self._host} is on a local, private or reserved "
                    "network, which this Planner does not connect to"
                ) from None
            # One text for a refused connection, a reset and a timeout: the message must not
            # let someone map which ports of a network are open.
            raise Unavailable(f"no answer from a CalDAV server at {self._host} ({what})") from None
        except (etree.LxmlError, ValueError, KeyError, AttributeError, TypeError) as exc:
            # What the library raises when a server answers something that is not DAV XML.
            raise InvalidResponse(
                f"the server at {self._host} did not answer like a CalDAV server ({what}: "
                f"{type(exc).__name__})"
            ) from None

    def _raise_for_dav_error(self, exc: dav_error.DAVError, what: str) -> NoReturn:
        status = exc.status
        if SYNC_TOKEN_PRECONDITION in exc.preconditions:
            raise SyncCursorExpired("CalDAV sync token no longer valid; full resync")
        if status is not None and status >= 500:
            raise Unavailable(f"CalDAV server answered {status} ({what})")
        raise InvalidResponse(f"CalDAV {what} failed ({type(exc).__name__}, status {status})")

    # ------------------------------------------------------------------ discovery

    def calendars(self) -> list[tuple[str, str]]:
        """(URL, display name) of each calendar of the account."""

        def discover() -> list[tuple[str, str]]:
            try:
                principal = self._dav.principal()
            except dav_error.NotFoundError:
                raise InvalidRequest(
                    f"{self._host} is not a CalDAV server (no principal found)"
                ) from None
            except dav_error.PropfindError:
                raise InvalidRequest(
                    f"{self._host} is not a CalDAV server (PROPFIND refused)"
                ) from None
            # The library tolerates servers that are not CalDAV at all (it then guesses the
            # principal URL); the DAV header of an OPTIONS request tells them apart.
            capabilities = self._dav.options(str(principal.url)).headers.get("DAV", "")
            if "calendar-access" not in capabilities:
                raise InvalidRequest(
                    f"{self._host} is not a CalDAV server (no calendar-access in its DAV header)"
                )
            found = []
            for calendar in principal.calendars():
                name = calendar.get_display_name() or str(calendar.url).rstrip("/").rsplit("/")[-1]
                found.append((str(calendar.url), str(name)))
            return found

        return self.call(discover, "calendar discovery")

    def _calendar(self, calendar_url: str) -> Any:
        if urlsplit(calendar_url).netloc != self._host:
            raise InvalidRequest("the calendar is not on this CalDAV server")
        return self._dav.calendar(url=calendar_url)

    # ------------------------------------------------------------------ reads

    def freebusy(self, calendar_url: str, start: datetime, end: datetime) -> str | None:
        """The VFREEBUSY text of a free-busy-query REPORT, or None when the server refuses
        the REPORT (then the caller computes busy times from the events)."""

        def query() -> str | None:
            try:
                answer = self._calendar(calendar_url).freebusy_request(start, end)
            except dav_error.AuthorizationError as exc:
                if exc.status == 403:
                    return None
                raise
            except (dav_error.ReportError, dav_error.DAVError) as exc:
                if exc.status is None or exc.status in FREEBUSY_REFUSED:
                    return None
                raise
            data = getattr(answer, "data", None)
            if not data or "VFREEBUSY" not in str(data):
                return None
            return str(data)

        return self.call(query, "free-busy REPORT")

    def events_in(self, calendar_url: str, start: datetime, end: datetime) -> list[tuple[str, str]]:
        """(URL, iCalendar text) of each event overlapping [start, end) (calendar-query)."""

        def query() -> list[tuple[str, str]]:
            found = self._calendar(calendar_url).search(
                start=start, end=end, event=True, expand=False
            )
            return [(str(obj.url), str(obj.data)) for obj in found if obj.data]

        return self.call(query, "calendar-query REPORT")

    def sync(self, calendar_url: str, token: str | None) -> tuple[list[SyncedObject], str | None]:
        """Members changed since `token` (all of them without one) and the new token."""

        def query() -> tuple[list[SyncedObject], str | None]:
            collection = self._calendar(calendar_url).objects_by_sync_token(
                sync_token=token, load_objects=True, disable_fallback=True
            )
            deleted = {str(url) for url in collection.deleted_urls}
            objects = []
            for obj in collection:
                url = str(obj.url.canonical())
                gone = url in deleted or not obj.data
                objects.append(SyncedObject(str(obj.url), None if gone else str(obj.data)))
            return objects, str(collection.sync_token) if collection.sync_token else None

        return self.call(query, "sync-collection REPORT")

    def get(self, object_url: str) -> tuple[str, str | None]:
        """The object's iCalendar text and ETag."""

        def fetch() -> tuple[str, str | None]:
            response = self._dav.request(object_url, "GET")
            if response.status == 404:
                raise NotFoundAtProvider("CalDAV event not found")
            if response.status >= 400:
                raise dav_error.DAVError(object_url, str(response.status), status=response.status)
            return str(response.raw), response.headers.get("etag")

        return self.call(fetch, "event read")

    # ------------------------------------------------------------------ writes

    def object_url(self, calendar_url: str, key: str) -> str:
        """The resource URL of the event with this key (the key is the resource name)."""
        self._calendar(calendar_url)
        return calendar_url.rstrip("/") + "/" + quote(key, safe="") + ".ics"

    def put(self, object_url: str, ics: str, *, if_none_match: bool, etag: str | None) -> Written:
        """A conditional PUT: create only (If-None-Match: *) or replace that version."""
        headers = {"Content-Type": "text/calendar; charset=utf-8"}
        if if_none_match:
            headers["If-None-Match"] = "*"
        else:
            headers["If-Match"] = etag or "*"
        return self.call(lambda: self._write(object_url, "PUT", ics, headers), "event write")

    def delete(self, object_url: str, *, etag: str | None) -> Written:
        """A DELETE, conditional on the ETag when one is given."""
        headers = {"If-Match": etag} if etag else {}
        return self.call(lambda: self._write(object_url, "DELETE", "", headers), "event delete")

    def _write(self, url: str, method: str, body: str, headers: dict[str, str]) -> Written:
        response = self._dav.request(url, method, body, headers)
        status = int(response.status)
        if status >= 500:
            raise Unavailable(f"CalDAV server answered {status} to {method}")
        if status == 412 or status == 409:
            return Written(status, None)
        if status == 404:
            return Written(status, None)
        if status >= 400:
            raise InvalidRequest(f"the CalDAV server refused the {method} ({status})")
        return Written(status, response.headers.get("etag"))
