"""Candidate invitations remember the language and time zone chosen on the booking page.

Revision ID: 0012
Revises: 0004
Create Date: 2026-11-30 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0012"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("candidate_invitation") as batch:
        batch.add_column(
            sa.Column("locale", sqlmodel.sql.sqltypes.AutoString(length=5), nullable=True)
        )
        batch.add_column(
            sa.Column("time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch.create_check_constraint(
            op.f("ck_candidate_invitation_locale_known"),
            "locale IN ('en', 'da', 'sv', 'nb', 'fi')",
        )


def downgrade() -> None:
    with op.batch_alter_table("candidate_invitation") as batch:
        batch.drop_constraint(op.f("ck_candidate_invitation_locale_known"), type_="check")
        batch.drop_column("time_zone")
        batch.drop_column("locale")
