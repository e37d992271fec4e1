"""ARQ worker: settings, tasks and cron jobs; each task calls one service."""
