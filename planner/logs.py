"""Logging for Planner's processes: details to a file under PLANNER_LOG_DIR when it is set
(`make run` sets var/log), and to the console only what a person needs there."""

import logging
import os
from pathlib import Path

# One line per mail sent or calendar write, shown on `make run`'s console.
ACTIVITY = "planner.activity"
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class ConsoleWorthy(logging.Filter):
    """Warnings and errors, and the activity lines; not the INFO of every cron tick."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.name.startswith(ACTIVITY)


def configure(process_name: str) -> None:
    """Set up the root logger of one process. Without PLANNER_LOG_DIR everything at INFO
    goes to stderr (what a supervisor or container runtime collects); with it, everything
    goes to `<dir>/<process_name>.log` and the console shows only ConsoleWorthy lines."""
    root = logging.getLogger()
    root.setLevel(logging.INFO)
    for handler in list(root.handlers):
        root.removeHandler(handler)
    console = logging.StreamHandler()
    log_dir = os.environ.get("PLANNER_LOG_DIR", "")
    if not log_dir:
        console.setFormatter(logging.Formatter(_FORMAT))
        root.addHandler(console)
        return
    Path(log_dir).mkdir(parents=True, exist_ok=True)
    details = logging.FileHandler(Path(log_dir) / f"{process_name}.log", encoding="utf-8")
    details.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(details)
    console.setFormatter(logging.Formatter("%(message)s"))
    console.addFilter(ConsoleWorthy())
    root.addHandler(console)
