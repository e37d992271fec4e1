"""Alembic environment: the models' metadata and the URL from Planner's settings."""

from alembic import context
import planner.models  # noqa: F401 - registers every table on the metadata
from planner.db import make_engine
from planner.models.base import UTCDateTime, metadata
from planner.settings import get_settings


def _url() -> str:
    return context.config.attributes.get("database_url") or get_settings().sqlalchemy_url


def _render_item(type_, obj, autogen_context):
    """Write Planner's UTCDateTime as the plain timestamptz it is stored as."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=metadata,
        literal_binds=True,
        render_as_batch=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
