"""Calendar connections: what kind of error the last poll met, and a pending "Sync now".

Revision ID: 0007
Revises: 0008
Create Date: 2026-11-30 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0007"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("calendar_connection") as batch:
        batch.add_column(
            sa.Column("error_kind", sqlmodel.sql.sqltypes.AutoString(length=30), nullable=True)
        )
        batch.add_column(sa.Column("sync_requested_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("calendar_connection") as batch:
        batch.drop_column("sync_requested_at")
        batch.drop_column("error_kind")
