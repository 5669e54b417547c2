"""Obligations, contract events and clock marks.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "obligations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("amount", sa.String(40), nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("settled_amount", sa.String(40), nullable=False),
        sa.Column("settled_at", sa.DateTime, nullable=True),
        sa.Column("overdue_at", sa.DateTime, nullable=True),
        sa.Column("next_check_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("contract_id", "name", name="uq_obligations_contract_name"),
    )
    op.create_index("ix_obligations_next_check_at", "obligations", ["next_check_at"])
    op.create_table(
        "contract_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), nullable=False),
        sa.Column("event", sa.String(100), nullable=False),
        sa.Column("event_key", sa.String(200), nullable=True),
        sa.Column("effective_at", sa.DateTime, nullable=False),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("fields_json", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("os_login", sa.String(100), nullable=False),
        sa.Column("history_seq", sa.Integer, nullable=True),
        sa.UniqueConstraint("contract_id", "event_key", name="uq_contract_events_contract_key"),
    )
    op.create_index(
        "ix_contract_events_status_effective", "contract_events", ["status", "effective_at"]
    )
    op.create_table(
        "clock_marks",
        sa.Column("name", sa.String(50), primary_key=True),
        sa.Column("instant", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_index("ix_contract_events_status_effective", table_name="contract_events")
    op.drop_table("contract_events")
    op.drop_index("ix_obligations_next_check_at", table_name="obligations")
    op.drop_table("obligations")
    op.drop_table("clock_marks")
