"""One engine and session factory for the web app, the workers, the CLI and Alembic."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from planner.settings import get_settings

WRITE_INTENT = "planner_write_intent"


def begin_write(session: Session) -> None:
    """Start the session's transaction as a writer. On SQLite this takes the write lock up
    front (BEGIN IMMEDIATE), so that a read-then-write transaction cannot fail half-way
    with 'database is locked'; PostgreSQL needs nothing. A read-only transaction already
    open on the session is ended first; pending changes are a programming error."""
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() must come before any change in the session")
        session.commit()
    session.connection(execution_options={WRITE_INTENT: True})


_WRITE_STATEMENTS = (
    "INSERT", "UPDATE", "DELETE", "REPLACE", "SAVEPOINT", "CREATE", "DROP", "ALTER",
)  # fmt: skip


def _opens_write(statement: str) -> bool:
    return statement.lstrip()[:9].upper().startswith(_WRITE_STATEMENTS)


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets foreign keys, WAL and a busy timeout so that
    several processes (web, worker, CLI) can share one file."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        path = url.removeprefix("sqlite:///")
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            # Let SQLAlchemy issue BEGIN itself so that BEGIN IMMEDIATE can be used for writes.
            dbapi_connection.isolation_level = None
            # SQLite's own lower() only knows ASCII; searches must find "Åberg" too.
            dbapi_connection.create_function("lower", 1, _unicode_lower, deterministic=True)
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # type: ignore[no-untyped-def]
            # A writer takes the write lock at once; a reader starts no SQLite transaction
            # at all (see _sqlite_write_begins below).
            if conn.get_execution_options().get(WRITE_INTENT, False):
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        @event.listens_for(engine, "before_cursor_execute")
        def _sqlite_write_begins(conn, cursor, statement, *_args):  # type: ignore[no-untyped-def]
            # Reads before a transaction's first write run each in their own snapshot (as
            # on PostgreSQL's READ COMMITTED); the first write opens the transaction with
            # BEGIN IMMEDIATE, which waits for the write lock (busy_timeout). A deferred
            # read transaction would instead have to be upgraded to a writer, and SQLite
            # refuses that at once with "database is locked" when another connection
            # committed since its first read: the 500s of issue 15.
            dbapi_connection = cursor.connection
            if not dbapi_connection.in_transaction and _opens_write(statement):
                dbapi_connection.execute("BEGIN IMMEDIATE")

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


@lru_cache(maxsize=1)
def get_engine() -> Engine:
    """The process-wide engine for the configured database."""
    return make_engine(get_settings().sqlalchemy_url)


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """A session for one unit of work; services decide when to commit."""
    with Session(engine or get_engine(), expire_on_commit=False) as session:
        yield session
