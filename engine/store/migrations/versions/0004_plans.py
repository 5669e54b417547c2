"""Contingency plans, obligation reminders and notification deliveries.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.store import protection

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "plan_occurrences",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), nullable=False),
        sa.Column("plan_id", sa.String(100), nullable=False),
        sa.Column("process_version", sa.Integer, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("owner_role", sa.String(100), nullable=False),
        sa.Column("opened_at", sa.DateTime, nullable=False),
        sa.Column("opened_by", sa.String(200), nullable=False),
        sa.Column("fired_trigger", sa.String(100), nullable=True),
        sa.Column("fire_outcome", sa.String(20), nullable=False),
        sa.Column("closed_at", sa.DateTime, nullable=True),
        sa.Column("close_reason", sa.String(40), nullable=True),
        sa.Column("rearm_required", sa.Boolean, nullable=False),
    )
    op.create_index("ix_plan_occurrences_contract_id", "plan_occurrences", ["contract_id"])
    op.create_index("ix_plan_occurrences_status", "plan_occurrences", ["status", "opened_at"])
    op.create_index(
        "uq_plan_occurrences_open", "plan_occurrences", ["contract_id", "plan_id"], unique=True,
        sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"),
    )
    op.create_table(
        "plan_escalations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("occurrence_id", sa.Integer, sa.ForeignKey("plan_occurrences.id"),
                  nullable=False),
        sa.Column("step_index", sa.Integer, nullable=False),
        sa.Column("done_at", sa.DateTime, nullable=False),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.UniqueConstraint("occurrence_id", "step_index", name="uq_plan_escalations_step"),
    )
    op.create_table(
        "plan_tasks",
        sa.Column("task_id", sa.Integer, sa.ForeignKey("tasks.id"), primary_key=True),
        sa.Column("occurrence_id", sa.Integer, sa.ForeignKey("plan_occurrences.id"),
                  nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
    )
    op.create_index("ix_plan_tasks_occurrence_id", "plan_tasks", ["occurrence_id"])
    op.create_table(
        "plan_guard_errors",
        sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), primary_key=True),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "outbox_deliveries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("outbox_id", sa.Integer, sa.ForeignKey("outbox.id"), nullable=False),
        sa.Column("channel", sa.String(100), nullable=False),
        sa.Column("delivered_at", sa.DateTime, nullable=False),
        sa.Column("detail", sa.Text, nullable=True),
        sa.UniqueConstraint("outbox_id", "channel", name="uq_outbox_deliveries_channel"),
    )
    op.create_table(
        "obligation_reminders",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), nullable=False),
        sa.Column("obligation", sa.String(100), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("remind_offset", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("decided_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("contract_id", "obligation", "due_on", "remind_offset",
                            name="uq_obligation_reminders_once"),
    )
    op.create_index("ix_obligations_due_on", "obligations", ["due_on"])
    protection.install(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_obligations_due_on", table_name="obligations")
    for table in ("obligation_reminders", "outbox_deliveries", "plan_guard_errors", "plan_tasks", "plan_escalations",
                  "plan_occurrences"):
        op.drop_table(table)
