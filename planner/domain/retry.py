"""When to try a failed effect again: exponential backoff with jitter, capped."""

from collections.abc import Callable
from datetime import timedelta

BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(hours=1)


def retry_delay(
    attempts: int,
    *,
    random: Callable[[], float],
    base: timedelta = BASE_DELAY,
    cap: timedelta = MAX_DELAY,
) -> timedelta:
    """The wait after the `attempts`-th failed try: base * 2^(attempts-1), capped, of which
    a random half is dropped ("equal jitter") so that many failed rows spread out while
    none retries sooner than half its step. `random` returns a float in [0, 1)."""
    if attempts < 1:
        raise ValueError("attempts counts tries made, starting at 1")
    step = min(cap, base * (2 ** min(attempts - 1, 30)))
    return step / 2 + step / 2 * random()
