"""`python -m planner.jobs`: run one ARQ worker process."""

import logging
import sys

from arq import run_worker

from planner.jobs.worker import WorkerSettings, redis_settings
from planner.settings import SettingsError, get_settings


def main() -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        get_settings()
        settings = redis_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    run_worker(WorkerSettings, redis_settings=settings)  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    sys.exit(main())
