"""Provider event links: `replaced_at`, so that a change of a booked interview's online
meeting can replace its events with new ones; one current link per booking and person.

Revision ID: 0013
Revises: 0009
Create Date: 2026-11-30 11:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("provider_event_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint("uq_event_link_booking_user", type_="unique")
        batch_op.create_index(
            "uq_event_link_current",
            ["booking_id", "staff_user_id"],
            unique=True,
            sqlite_where=sa.text("replaced_at IS NULL"),
            postgresql_where=sa.text("replaced_at IS NULL"),
        )


def downgrade() -> None:
    # Replaced links have a current twin: keep only the current ones.
    op.execute("DELETE FROM provider_event_link WHERE replaced_at IS NOT NULL")
    with op.batch_alter_table("provider_event_link", schema=None) as batch_op:
        batch_op.drop_index("uq_event_link_current")
        batch_op.create_unique_constraint(
            "uq_event_link_booking_user", ["booking_id", "staff_user_id"]
        )
        batch_op.drop_column("replaced_at")
