"""Alembic builds the whole schema on empty SQLite and PostgreSQL databases, and the
migrations match the models exactly."""

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

import planner.models  # noqa: F401
from alembic import command
from planner.db import make_engine
from planner.models.base import metadata
from planner.settings import ROOT_DIR
from tests.conftest import migrate


def test_upgrade_creates_every_table_and_autogenerate_finds_no_difference(database_url):
    migrate(database_url)
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            tables = set(inspect(conn).get_table_names()) - {"alembic_version"}
            assert tables == set(metadata.tables)
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            assert compare_metadata(context, metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_up_again(database_url):
    config = Config(str(ROOT_DIR / "alembic.ini"))
    config.attributes["database_url"] = database_url
    command.upgrade(config, "head")
    command.downgrade(config, "base")
    engine = make_engine(database_url)
    try:
        with engine.connect() as conn:
            assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    command.upgrade(config, "head")


def test_partial_unique_indexes_exist(engine):
    with engine.connect() as conn:
        names = {index["name"] for index in inspect(conn).get_indexes("booking")}
    assert {"uq_booking_active_seat", "uq_booking_active_invitation"} <= names
