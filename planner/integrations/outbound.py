"""Outbound HTTP safety: requests to addresses tenants choose (webhook and CalDAV URLs) go
only to public internet addresses, checked after DNS resolution and again when connecting.

The check runs where the socket is opened (an httpcore network backend for httpx, a DNS
resolver for the niquests session the caldav library uses), so the address that is checked
is the address that is connected to: a name that resolves to a public address when the URL
is saved and to 127.0.0.1 later (DNS rebinding) is refused at connect time. Redirects are
not followed by these clients, so a redirect cannot lead anywhere the check would refuse.

Refused (RFC 6890 special-purpose registries, as Python's `ipaddress.is_global` reads them):
loopback, private (RFC 1918, RFC 4193), shared address space (RFC 6598), link-local
(including the cloud metadata address 169.254.169.254), unspecified, multicast, reserved and
documentation ranges, and IPv4 addresses embedded in IPv6 (mapped, 6to4, Teredo, NAT64)
that are any of these. `allow_private=True` (a CalDAV server on the customer's own network)
admits loopback, private and shared addresses, never unspecified, multicast, link-local or
metadata addresses."""

import ipaddress
import socket
import time
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from httpcore._backends.sync import SyncBackend

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Metadata services reachable from cloud instances (AWS, GCP, Azure, Oracle: 169.254.169.254;
# AWS over IPv6: fd00:ec2::254; Alibaba: 100.100.100.200).
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
BLOCKED_MESSAGE = "the address is not allowed (a local, private or reserved network)"


class BlockedAddress(OSError):
    """Raised instead of connecting to an address that outbound requests must not reach."""

    def __init__(self, host: str) -> None:
        super().__init__(f"{host}: {BLOCKED_MESSAGE}")
        self.host = host


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_allowed(address: IPAddress, *, allow_private: bool = False) -> bool:
    """Whether an outbound request may connect to `address` (see the module docstring)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return is_allowed(embedded, allow_private=allow_private)
        if address.scope_id:
            return False
    if address in METADATA_ADDRESSES:
        return False
    if address.is_unspecified or address.is_multicast or address.is_link_local:
        return False
    if address.is_global:
        return True
    if not allow_private:
        return False
    shared = isinstance(address, ipaddress.IPv4Address) and address in ipaddress.ip_network(
        "100.64.0.0/10"
    )
    return address.is_loopback or address.is_private or shared


def resolve(host: str, port: int, *, allow_private: bool = False) -> list[tuple[Any, ...]]:
    """getaddrinfo() results (TCP) for `host`, refusing with BlockedAddress when any of the
    addresses it resolves to is not allowed (so a name cannot mix a public and a private
    address). Decimal, octal and hexadecimal IPv4 spellings are resolved like any name.
    Raises socket.gaierror when the name does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    if not infos:
        raise socket.gaierror(f"{host} does not resolve")
    for info in infos:
        literal = str(info[4][0]).split("%", 1)[0]
        if not is_allowed(ipaddress.ip_address(literal), allow_private=allow_private):
            raise BlockedAddress(host)
    return infos


def check_host(host: str, port: int, *, allow_private: bool = False) -> bool:
    """Validation when a URL is saved: False when `host` resolves to an address that is not
    allowed; True when it resolves to allowed addresses only, or does not resolve yet (the
    connect-time check still applies to whatever it resolves to later)."""
    try:
        resolve(host, port, allow_private=allow_private)
    except BlockedAddress:
        return False
    except (OSError, UnicodeError):
        return True
    return True


def blocked_in(exc: BaseException | None) -> bool:
    """Whether `exc` or any exception it was raised from is a BlockedAddress."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, BlockedAddress) or BLOCKED_MESSAGE in str(exc):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


# --- httpx -------------------------------------------------------------------------------


class _DeadlineStream(httpcore.NetworkStream):
    """A stream whose reads and writes together end at a wall-clock deadline, so a receiver
    that trickles its answer cannot hold a delivery past its time."""

    def __init__(self, inner: httpcore.NetworkStream, deadline: float | None) -> None:
        self._inner = inner
        self._deadline = deadline

    def _left(self, timeout: float | None, error: type[Exception]) -> float | None:
        if self._deadline is None:
            return timeout
        remaining = self._deadline - time.monotonic()
        if remaining <= 0:
            raise error("the request took longer than its time limit")
        return remaining if timeout is None else min(timeout, remaining)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._inner.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._inner.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._inner.close()

    def start_tls(
        self,
        ssl_context: Any,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        inner = self._inner.start_tls(
            ssl_context, server_hostname, self._left(timeout, httpcore.ConnectTimeout)
        )
        return _DeadlineStream(inner, self._deadline)

    def get_extra_info(self, info: str) -> Any:
        return self._inner.get_extra_info(info)


class GuardedBackend(httpcore.NetworkBackend):
    """An httpcore network backend that resolves the host itself, refuses addresses that are
    not allowed and connects to the checked address (no second lookup in between)."""

    def __init__(self, *, allow_private: bool, total_seconds: float | None) -> None:
        self._allow_private = allow_private
        self._total_seconds = total_seconds
        self._plain = SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        deadline = None if self._total_seconds is None else time.monotonic() + self._total_seconds
        try:
            infos = resolve(host, port, allow_private=self._allow_private)
        except BlockedAddress as exc:
            raise httpcore.ConnectError(str(exc)) from exc
        except (OSError, UnicodeError) as exc:
            raise httpcore.ConnectError(f"{host} does not resolve") from exc
        last: Exception | None = None
        for info in infos:
            address = str(info[4][0])
            try:
                stream = self._plain.connect_tcp(
                    address, port, timeout, local_address, socket_options
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
                continue
            return _DeadlineStream(stream, deadline)
        assert last is not None
        raise last

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not allowed")

    def sleep(self, seconds: float) -> None:
        self._plain.sleep(seconds)


def guarded_client(
    *, allow_private: bool, timeout: float, total_seconds: float | None = None, **kwargs: Any
) -> httpx.Client:
    """An httpx.Client that connects only to allowed addresses, follows no redirects, reads
    no proxy from the environment, keeps no connection open between requests and, with
    `total_seconds`, ends every request (connect, send, answer) within that time."""
    transport = httpx.HTTPTransport(
        limits=httpx.Limits(max_keepalive_connections=0), retries=0, trust_env=False
    )
    # httpx has no public hook for the network backend; its pool takes one at construction
    # only, so it is set on the pool the transport built (httpcore 1.x attribute).
    transport._pool._network_backend = GuardedBackend(  # noqa: SLF001
        allow_private=allow_private, total_seconds=total_seconds
    )
    return httpx.Client(
        transport=transport,
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        trust_env=False,
        **kwargs,
    )


# --- niquests (the caldav library's HTTP client) -------------------------------------------


def guarded_niquests_session(*, allow_private: bool) -> Any:
    """A niquests.Session for the caldav library: its DNS resolver refuses addresses that
    are not allowed at connect time, it follows no redirects (so a Basic-auth header is never
    resent to another host) and reads no proxy or .netrc from the environment."""
    import niquests
    from niquests.packages.urllib3.contrib.resolver.system import (  # type: ignore[import-not-found]
        SystemResolver,
    )

    class GuardedResolver(SystemResolver):  # type: ignore[misc]
        def getaddrinfo(self, host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
            name = host.decode("ascii") if isinstance(host, bytes) else str(host)
            infos = super().getaddrinfo(host, port, *args, **kwargs)
            for info in infos:
                literal = str(info[4][0]).split("%", 1)[0]
                if not is_allowed(ipaddress.ip_address(literal), allow_private=allow_private):
                    raise BlockedAddress(name)
            return infos

    class NoRedirectSession(niquests.Session):  # type: ignore[misc]
        def request(self, *args: Any, **kwargs: Any) -> Any:
            kwargs["allow_redirects"] = False
            return super().request(*args, **kwargs)

    session = NoRedirectSession(resolver=GuardedResolver())
    session.trust_env = False
    return session
