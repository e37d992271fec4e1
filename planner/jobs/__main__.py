"""`python -m planner.jobs`: run one ARQ worker process; `python -m planner.jobs check`:
exit 0 when that worker reported health within the last health-check interval, else 1
(for a supervisor's health probe)."""

import sys

from arq import run_worker

from planner import logs
from planner.jobs.worker import WorkerSettings, health_check_key, is_healthy, redis_settings
from planner.settings import SettingsError, get_settings


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
    run_worker(
        WorkerSettings,  # type: ignore[arg-type]
        redis_settings=settings,
        health_check_key=health_check_key(),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
