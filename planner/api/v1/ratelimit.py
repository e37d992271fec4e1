"""Per-key rate limits: a fixed window counted in Redis when configured, else in process."""

import logging
import math
import threading
from dataclasses import dataclass
from typing import Protocol

import redis

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 300
DEFAULT_WINDOW_SECONDS = 60


@dataclass(frozen=True, slots=True)
class Decision:
    """Whether a request may go on; `retry_after` seconds until the window resets."""

    allowed: bool
    limit: int
    remaining: int
    retry_after: int


class RateLimiter(Protocol):
    def hit(self, key: str, now: float) -> Decision:
        """Count one request of `key` at `now` (unix seconds) and decide."""
        ...


def _decide(count: int, limit: int, window: int, now: float) -> Decision:
    reset = window - (now % window)
    return Decision(
        allowed=count <= limit,
        limit=limit,
        remaining=max(0, limit - count),
        retry_after=max(1, math.ceil(reset)),
    )


class InProcessRateLimiter:
    """Fixed windows counted in this process (one web process, or tests)."""

    def __init__(
        self, limit: int = DEFAULT_LIMIT, window_seconds: int = DEFAULT_WINDOW_SECONDS
    ) -> None:
        self.limit = limit
        self.window = window_seconds
        self._counts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def hit(self, key: str, now: float) -> Decision:
        window_id = int(now // self.window)
        with self._lock:
            if len(self._counts) > 10_000:  # forget keys of past windows
                self._counts = {k: v for k, v in self._counts.items() if v[0] == window_id}
            seen_window, count = self._counts.get(key, (window_id, 0))
            count = count + 1 if seen_window == window_id else 1
            self._counts[key] = (window_id, count)
        return _decide(count, self.limit, self.window, now)


class RedisRateLimiter:
    """Fixed windows counted in Redis, shared by every web process. When Redis cannot be
    reached the request goes on (logged): an outage of the limiter must not stop the API."""

    def __init__(
        self,
        client: redis.Redis,
        limit: int = DEFAULT_LIMIT,
        window_seconds: int = DEFAULT_WINDOW_SECONDS,
    ) -> None:
        self.client = client
        self.limit = limit
        self.window = window_seconds

    def hit(self, key: str, now: float) -> Decision:
        window_id = int(now // self.window)
        name = f"planner:api-rate:{key}:{window_id}"
        try:
            pipe = self.client.pipeline()
            pipe.incr(name)
            pipe.expire(name, self.window * 2)
            count = int(pipe.execute()[0])
        except redis.RedisError as exc:
            log.warning("rate limiter unavailable (%s); request allowed", type(exc).__name__)
            return Decision(True, self.limit, self.limit, 0)
        return _decide(count, self.limit, self.window, now)


def default_limiter(redis_url: str) -> RateLimiter:
    """Redis when PLANNER_REDIS_URL is set, else in process."""
    if redis_url:
        return RedisRateLimiter(redis.Redis.from_url(redis_url, socket_timeout=1))
    return InProcessRateLimiter()
