"""Calendar connections record the data their last poll could not read.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 04:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_connection") as batch:
        batch.add_column(
            sa.Column("unreadable_count", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("unknown_from", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(
            sa.Column(
                "unreadable_reason", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("calendar_connection") as batch:
        batch.drop_column("unreadable_reason")
        batch.drop_column("unknown_from")
        batch.drop_column("unreadable_count")
