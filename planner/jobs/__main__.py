"""`python -m planner.jobs`: run one ARQ worker process; `python -m planner.jobs check`:
exit 0 when that worker reported health within the last health-check interval, else 1
(for a supervisor's health probe). A worker whose Redis goes away waits for it and goes on."""

import logging
import sys
import time

import redis.exceptions
from arq import run_worker

from planner import logs
from planner.jobs.worker import WorkerSettings, health_check_key, is_healthy, redis_settings
from planner.settings import SettingsError, get_settings

log = logging.getLogger("planner.jobs")
PAUSE = 2  # seconds between attempts while Redis is unavailable


def main(argv: list[str]) -> int:
    logs.configure("worker")
    try:
        get_settings()
        settings = redis_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if argv[:1] == ["check"]:
        return 0 if is_healthy(get_settings().redis_url) else 1
    while True:
        try:
            run_worker(
                WorkerSettings,  # type: ignore[arg-type]
                redis_settings=settings,
                health_check_key=health_check_key(),
            )
            return 0
        except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError, OSError) as exc:
            # Redis went away (restarted, failed over): nothing the worker holds is lost
            # (the outbox is in the database); wait for it and work on.
            log.warning("Redis unavailable (%s); the worker starts again in %s s", exc, PAUSE)
            time.sleep(PAUSE)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
