"""Outbox: an (account_id, id) index, so that an account's activity marker (its newest
outbox row) is one index lookup.

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-30 08:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_outbox_message_account_id_id", "outbox_message", ["account_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_message_account_id_id", table_name="outbox_message")
