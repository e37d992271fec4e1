"""A rate limit for requests that present unknown link tokens (booking links, the .ics
download): guessing links costs the guesser, never the candidates with real links."""

import threading
import time
from collections import OrderedDict


class UnknownTokenLimiter:
    """Counts requests that presented an unknown token, per client address, in a sliding
    minute; past `per_minute` the address is refused until the minute has passed. In
    process (each web process counts its own), bounded to `max_addresses` addresses."""

    def __init__(self, *, per_minute: int = 30, max_addresses: int = 10_000) -> None:
        self.per_minute = per_minute
        self.max_addresses = max_addresses
        self._misses: OrderedDict[str, list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def _recent(self, address: str, now: float) -> list[float]:
        times = [t for t in self._misses.get(address, []) if t > now - 60]
        if times:
            self._misses[address] = times
            self._misses.move_to_end(address)
        else:
            self._misses.pop(address, None)
        return times

    def blocked(self, address: str, *, now: float | None = None) -> int:
        """Seconds until `address` may try again (0: it may now)."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(address, now)
            if len(times) < self.per_minute:
                return 0
            return max(1, int(times[0] + 60 - now) + 1)

    def miss(self, address: str, *, now: float | None = None) -> None:
        """Count one unknown token presented by `address`."""
        now = time.monotonic() if now is None else now
        with self._lock:
            times = self._recent(address, now)
            times.append(now)
            self._misses[address] = times
            self._misses.move_to_end(address)
            while len(self._misses) > self.max_addresses:
                self._misses.popitem(last=False)


unknown_tokens = UnknownTokenLimiter()
