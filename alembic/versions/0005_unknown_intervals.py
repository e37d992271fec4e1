"""Times whose busy state could not be read from a calendar (unknown, never free).

Revision ID: 0005
Revises: 0012
Create Date: 2026-11-30 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0005"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "unknown_interval",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("connection_id", sa.Integer(), nullable=False),
        sa.Column("start_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("source_event_id", sqlmodel.sql.sqltypes.AutoString(length=1024), nullable=True),
        sa.CheckConstraint("end_at > start_at", name=op.f("ck_unknown_interval_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_unknown_interval_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["calendar_connection.id"],
            name=op.f("fk_unknown_interval_connection_id_calendar_connection"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unknown_interval")),
    )
    with op.batch_alter_table("unknown_interval", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_unknown_interval_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            "ix_unknown_interval_connection_start", ["connection_id", "start_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("unknown_interval", schema=None) as batch_op:
        batch_op.drop_index("ix_unknown_interval_connection_start")
        batch_op.drop_index(batch_op.f("ix_unknown_interval_account_id"))
    op.drop_table("unknown_interval")
