"""Shared fixtures: settings for tests, and migrated SQLite and PostgreSQL databases."""

import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ["PLANNER_ENV"] = "test"
os.environ["PLANNER_SECRET_KEY"] = "test-secret-key-" + "x" * 32
os.environ.pop("PLANNER_DATABASE_URL", None)
os.environ.pop("PLANNER_REDIS_URL", None)

import psycopg  # noqa: E402
from alembic.config import Config  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlmodel import Session  # noqa: E402

from alembic import command  # noqa: E402
from planner.db import make_engine  # noqa: E402
from planner.settings import ROOT_DIR, get_settings  # noqa: E402

PG_ADMIN_DSN = os.environ.get(
    "PLANNER_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def migrate(url: str) -> None:
    """Run the Alembic migrations against a database URL."""
    config = Config(str(ROOT_DIR / "alembic.ini"))
    config.attributes["database_url"] = url
    command.upgrade(config, "head")


@pytest.fixture(autouse=True)
def _fresh_settings() -> Iterator[None]:
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def _pg_url(name: str) -> str:
    base = PG_ADMIN_DSN.rsplit("/", 1)[0]
    return f"{base}/{name}"


class PostgresDatabases:
    """Creates throw-away PostgreSQL databases on the machine's server and drops them."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def create(self, *, template: str | None = None) -> str:
        name = f"planner_test_{secrets.token_hex(6)}"
        clause = f' TEMPLATE "{template}"' if template else ""
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"{clause}')
        self.names.append(name)
        return _pg_url(name)

    def drop_all(self) -> None:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
            for name in self.names:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def postgres_databases() -> Iterator[PostgresDatabases]:
    databases = PostgresDatabases()
    yield databases
    databases.drop_all()


def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'planner.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path, postgres_databases) -> str:
    """An empty database of each kind (not migrated)."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path)
    return postgres_databases.create()


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory, postgres_databases) -> dict[str, str]:
    """One migrated database of each kind, copied for every test that needs one."""
    sqlite_template = tmp_path_factory.mktemp("template") / "planner.db"
    migrate(f"sqlite:///{sqlite_template}")
    pg_template = postgres_databases.create()
    migrate(pg_template)
    return {"sqlite": str(sqlite_template), "postgresql": pg_template.rsplit("/", 1)[1]}


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def migrated_url(request, tmp_path, postgres_databases, migrated_templates) -> str:
    """A fresh, migrated database of each kind."""
    if request.param == "sqlite":
        target = tmp_path / "planner.db"
        shutil.copyfile(migrated_templates["sqlite"], target)
        return f"sqlite:///{target}"
    return postgres_databases.create(template=migrated_templates["postgresql"])


@pytest.fixture
def engine(migrated_url) -> Iterator[Engine]:
    """A migrated database of each kind."""
    engine = make_engine(migrated_url)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright's sync API keeps an event loop running in the main
    thread, which async tests collected after it could not use."""
    items.sort(key=lambda item: "/tests/e2e/" in str(item.path))
