"""Previous-calendar import (appointments per occurrence, the people they name, import runs),
erased candidates and the audit of GDPR exports and erasures.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30 04:50:21.456169
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_import",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("filename", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
        sa.Column("time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.Column("created", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("error", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('previewed', 'queued', 'running', 'done', 'failed')",
            name=op.f("ck_calendar_import_status_known"),
        ),
        sa.CheckConstraint(
            "processed >= 0 AND total >= 0", name=op.f("ck_calendar_import_counts_positive")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_calendar_import_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["staff_user.id"],
            name=op.f("fk_calendar_import_created_by_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_import")),
    )
    with op.batch_alter_table("calendar_import", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_import_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "privacy_action",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("request_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("summary", sa.JSON(), nullable=False),
        sa.Column("pending_outbox_ids", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "action IN ('export', 'erase')", name=op.f("ck_privacy_action_action_known")
        ),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_privacy_action_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"],
            ["staff_user.id"],
            name=op.f("fk_privacy_action_actor_id_staff_user"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidate.id"],
            name=op.f("fk_privacy_action_candidate_id_candidate"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_privacy_action")),
        sa.UniqueConstraint("account_id", "request_key", name="uq_privacy_action_request_key"),
    )
    with op.batch_alter_table("privacy_action", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_privacy_action_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_privacy_action_candidate_id"), ["candidate_id"], unique=False
        )

    op.create_table(
        "previous_appointment_person",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=True),
        sa.Column("candidate_id", sa.Integer(), nullable=True),
        sa.Column("email", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
            name=op.f("fk_previous_appointment_person_account_id_account"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["previous_appointment.id"],
            name=op.f("fk_previous_appointment_person_appointment_id_previous_appointment"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["candidate_id"],
            ["candidate.id"],
            name=op.f("fk_previous_appointment_person_candidate_id_candidate"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["staff_user_id"],
            ["staff_user.id"],
            name=op.f("fk_previous_appointment_person_staff_user_id_staff_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_previous_appointment_person")),
        sa.UniqueConstraint("appointment_id", "email", name="uq_previous_person_appointment_email"),
    )
    with op.batch_alter_table("previous_appointment_person", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_previous_appointment_person_account_id"), ["account_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_previous_appointment_person_appointment_id"),
            ["appointment_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_previous_appointment_person_candidate_id"),
            ["candidate_id"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_previous_appointment_person_staff_user_id"),
            ["staff_user_id"],
            unique=False,
        )

    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("previous_appointment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "occurrence",
                sqlmodel.sql.sqltypes.AutoString(length=40),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column("all_day", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column(
                "source",
                sqlmodel.sql.sqltypes.AutoString(length=10),
                nullable=False,
                server_default="import",
            )
        )
        batch_op.add_column(
            sa.Column(
                "fingerprint",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("import_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("created_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "updated_at",
                sa.DateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )
        batch_op.drop_constraint("uq_previous_appointment_account_uid", type_="unique")
        # An event without an end (RFC 5545 3.6.1) lasts no time: end may equal start.
        batch_op.drop_constraint(op.f("ck_previous_appointment_ends_after_start"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_previous_appointment_ends_after_start"), "end_at >= start_at"
        )
        batch_op.create_check_constraint(
            op.f("ck_previous_appointment_source_known"), "source IN ('import', 'manual')"
        )
        batch_op.create_check_constraint(
            op.f("ck_previous_appointment_title_not_empty"), "length(title) > 0"
        )
        batch_op.create_unique_constraint(
            "uq_previous_appointment_account_uid", ["account_id", "uid", "occurrence"]
        )
        batch_op.create_index(
            "ix_previous_appointment_account_start", ["account_id", "start_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_previous_appointment_import_id"), ["import_id"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_previous_appointment_import_id_calendar_import"),
            "calendar_import",
            ["import_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_previous_appointment_created_by_id_staff_user"),
            "staff_user",
            ["created_by_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("previous_appointment", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_previous_appointment_created_by_id_staff_user"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_previous_appointment_import_id_calendar_import"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_previous_appointment_import_id"))
        batch_op.drop_index("ix_previous_appointment_account_start")
        batch_op.drop_constraint("uq_previous_appointment_account_uid", type_="unique")
        batch_op.create_unique_constraint(
            "uq_previous_appointment_account_uid", ["account_id", "uid"]
        )
        batch_op.drop_constraint(op.f("ck_previous_appointment_title_not_empty"), type_="check")
        batch_op.drop_constraint(op.f("ck_previous_appointment_source_known"), type_="check")
        batch_op.drop_constraint(op.f("ck_previous_appointment_ends_after_start"), type_="check")
        batch_op.create_check_constraint(
            op.f("ck_previous_appointment_ends_after_start"), "end_at > start_at"
        )
        batch_op.drop_column("updated_at")
        batch_op.drop_column("created_by_id")
        batch_op.drop_column("import_id")
        batch_op.drop_column("fingerprint")
        batch_op.drop_column("source")
        batch_op.drop_column("all_day")
        batch_op.drop_column("occurrence")

    with op.batch_alter_table("candidate", schema=None) as batch_op:
        batch_op.drop_column("erased_at")

    with op.batch_alter_table("previous_appointment_person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_previous_appointment_person_staff_user_id"))
        batch_op.drop_index(batch_op.f("ix_previous_appointment_person_candidate_id"))
        batch_op.drop_index(batch_op.f("ix_previous_appointment_person_appointment_id"))
        batch_op.drop_index(batch_op.f("ix_previous_appointment_person_account_id"))

    op.drop_table("previous_appointment_person")
    with op.batch_alter_table("privacy_action", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_privacy_action_candidate_id"))
        batch_op.drop_index(batch_op.f("ix_privacy_action_account_id"))

    op.drop_table("privacy_action")
    with op.batch_alter_table("calendar_import", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_import_account_id"))

    op.drop_table("calendar_import")
