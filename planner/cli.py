"""Command line: `python -m planner.cli migrate|seed|check-settings|rotate-keys`."""

import argparse
import logging
import sys

from planner.settings import ROOT_DIR, SettingsError, get_settings


def migrate() -> None:
    """Bring the configured database to the newest schema."""
    from alembic.config import Config

    from alembic import command

    command.upgrade(Config(str(ROOT_DIR / "alembic.ini")), "head")


def seed() -> None:
    """Create the demo account when it is missing (development only)."""
    from planner.db import session_scope
    from planner.services.demo import seed_demo

    with session_scope() as session:
        result = seed_demo(session=session, password=get_settings().demo_password)
    print("Demo account created." if result.created else "Demo account already present.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="planner")
    parser.add_argument("command", choices=["migrate", "seed", "check-settings", "rotate-keys"])
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    try:
        settings = get_settings()
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.command == "migrate":
        migrate()
    elif args.command == "seed":
        if not settings.is_development:
            print("The demo account is only seeded in development mode.", file=sys.stderr)
            return 2
        seed()
    elif args.command == "rotate-keys":
        from planner.db import session_scope
        from planner.services.key_rotation import rotate_stored_secrets

        with session_scope() as session:
            report = rotate_stored_secrets(session=session, settings=settings)
        print(f"Re-encrypted {report.rotated} stored secrets; {report.unreadable} unreadable.")
        return 1 if report.unreadable else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
