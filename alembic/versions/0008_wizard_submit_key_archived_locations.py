"""Interviews carry the wizard's submit key and a custom invitation subject; locations are
archived instead of deleted.

Revision ID: 0008
Revises: 0006
Create Date: 2026-11-30 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("interview") as batch:
        batch.add_column(
            sa.Column(
                "invitation_subject",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )
        batch.add_column(
            sa.Column("submit_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch.create_unique_constraint("uq_interview_submit_key", ["account_id", "submit_key"])
    with op.batch_alter_table("location") as batch:
        batch.add_column(sa.Column("archived_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("location") as batch:
        batch.drop_column("archived_at")
    with op.batch_alter_table("interview") as batch:
        batch.drop_constraint("uq_interview_submit_key", type_="unique")
        batch.drop_column("submit_key")
        batch.drop_column("invitation_subject")
