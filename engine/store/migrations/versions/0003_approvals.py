"""Approval rounds, levels, approvers, votes and delegations.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.store import protection

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "approval_rounds",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), nullable=False,
                  index=True),
        sa.Column("round_no", sa.Integer, nullable=False),
        sa.Column("state", sa.String(100), nullable=False),
        sa.Column("initiator", sa.String(100), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("current_position", sa.Integer, nullable=False),
        sa.Column("data_json", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("closed_at", sa.DateTime, nullable=True),
        sa.Column("closed_by", sa.String(100), nullable=True),
        sa.Column("close_reason", sa.Text, nullable=True),
        sa.UniqueConstraint("contract_id", "round_no", name="uq_approval_rounds_contract_round"),
    )
    op.create_table(
        "approval_levels",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("approval_rounds.id"), nullable=False,
                  index=True),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("role", sa.String(100), nullable=False),
        sa.Column("quorum", sa.String(10), nullable=False),
        sa.Column("applies", sa.Boolean, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("required", sa.Integer, nullable=True),
        sa.Column("started_at", sa.DateTime, nullable=True),
        sa.Column("due_at", sa.DateTime, nullable=True),
        sa.Column("escalated_at", sa.DateTime, nullable=True),
        sa.Column("completed_at", sa.DateTime, nullable=True),
        sa.UniqueConstraint("round_id", "position", "role",
                            name="uq_approval_levels_round_position_role"),
    )
    op.create_index("ix_approval_levels_status_due", "approval_levels", ["status", "due_at"])
    op.create_table(
        "approval_approvers",
        sa.Column("level_id", sa.Integer, sa.ForeignKey("approval_levels.id"), primary_key=True),
        sa.Column("person_id", sa.String(100), primary_key=True),
        sa.Column("added_by", sa.String(20), nullable=False),
    )
    op.create_table(
        "approval_votes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("round_id", sa.Integer, sa.ForeignKey("approval_rounds.id"), nullable=False,
                  index=True),
        sa.Column("level_id", sa.Integer, sa.ForeignKey("approval_levels.id"), nullable=False),
        sa.Column("voter", sa.String(100), nullable=False),
        sa.Column("principal", sa.String(100), nullable=False),
        sa.Column("on_behalf_of", sa.String(100), nullable=True),
        sa.Column("delegation_id", sa.Integer, nullable=True),
        sa.Column("role", sa.String(100), nullable=False),
        sa.Column("decision", sa.String(10), nullable=False),
        sa.Column("comment", sa.Text, nullable=True),
        sa.Column("cast_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("round_id", "voter", name="uq_approval_votes_round_voter"),
        sa.UniqueConstraint("round_id", "principal", name="uq_approval_votes_round_principal"),
    )
    op.create_table(
        "delegations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("delegator", sa.String(100), nullable=False, index=True),
        sa.Column("delegate", sa.String(100), nullable=False, index=True),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("revoked_at", sa.DateTime, nullable=True),
        sa.Column("revoked_by", sa.String(100), nullable=True),
    )
    # The history table is untouched, but every migration re-installs its protection.
    protection.install(op.get_bind())


def downgrade() -> None:
    op.drop_index("ix_approval_levels_status_due", table_name="approval_levels")
    for table in ("delegations", "approval_votes", "approval_approvers", "approval_levels",
                  "approval_rounds"):
        op.drop_table(table)
