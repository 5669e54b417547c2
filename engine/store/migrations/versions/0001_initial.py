"""Initial schema: definitions, contracts, history, tasks, outbox, org.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from engine.store import protection

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "definitions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("process_id", sa.String(100), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("source_name", sa.String(255), nullable=False),
        sa.Column("source_text", sa.Text, nullable=False),
        sa.Column("title_json", sa.Text, nullable=False),
        sa.Column("deployed_at", sa.DateTime, nullable=False),
        sa.Column("deployed_by", sa.String(100), nullable=False),
        sa.UniqueConstraint("process_id", "version", name="uq_definitions_process_version"),
    )
    op.create_table(
        "number_counters",
        sa.Column("series", sa.String(20), primary_key=True),
        sa.Column("year", sa.Integer, primary_key=True),
        sa.Column("last_value", sa.Integer, nullable=False),
    )
    op.create_table(
        "contracts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("external_ref", sa.String(100), nullable=True, unique=True),
        sa.Column("definition_id", sa.Integer, sa.ForeignKey("definitions.id"), nullable=False),
        sa.Column("customer", sa.String(200), nullable=False, index=True),
        sa.Column("state", sa.String(100), nullable=False, index=True),
        sa.Column("data_json", sa.Text, nullable=False),
        sa.Column("row_version", sa.Integer, nullable=False),
        sa.Column("last_seq", sa.Integer, nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("created_by", sa.String(100), nullable=False),
        sa.Column("voided", sa.Boolean, nullable=False),
    )
    op.create_table(
        "history",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("actor", sa.String(100), nullable=False),
        sa.Column("os_login", sa.String(100), nullable=False),
        sa.Column("role", sa.String(100), nullable=True),
        sa.Column("on_behalf_of", sa.String(100), nullable=True),
        sa.Column("recorded_at", sa.DateTime, nullable=False),
        sa.Column("effective_at", sa.DateTime, nullable=False),
        sa.Column("trigger", sa.String(100), nullable=True),
        sa.Column("from_state", sa.String(100), nullable=True),
        sa.Column("to_state", sa.String(100), nullable=True),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("rule", sa.String(200), nullable=True),
        sa.Column("data_diff", sa.Text, nullable=False),
        sa.Column("details", sa.Text, nullable=False),
        sa.Column("process_id", sa.String(100), nullable=False),
        sa.Column("process_version", sa.Integer, nullable=False),
        sa.Column("hash_format", sa.Integer, nullable=False),
        sa.Column("hash_algorithm", sa.String(20), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.UniqueConstraint("contract_id", "seq", name="uq_history_contract_seq"),
    )
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), nullable=False, index=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("title_json", sa.Text, nullable=False),
        sa.Column("role", sa.String(100), nullable=True),
        sa.Column("assignee", sa.String(100), nullable=True),
        sa.Column("source", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("due_at", sa.DateTime, nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("done_at", sa.DateTime, nullable=True),
        sa.Column("done_by", sa.String(100), nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
    )
    op.create_index("ix_tasks_status_due", "tasks", ["status", "due_at"])
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("contract_id", sa.Integer, sa.ForeignKey("contracts.id"), nullable=True),
        sa.Column("recipient_role", sa.String(100), nullable=True),
        sa.Column("recipient", sa.String(200), nullable=True),
        sa.Column("subject_json", sa.Text, nullable=False),
        sa.Column("body_json", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("next_attempt_at", sa.DateTime, nullable=True),
        sa.Column("sent_at", sa.DateTime, nullable=True),
    )
    op.create_index("ix_outbox_status_next", "outbox", ["status", "next_attempt_at"])
    op.create_table(
        "people",
        sa.Column("id", sa.String(100), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("email", sa.String(200), nullable=True),
        sa.Column("can_act_for_others", sa.Boolean, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
    )
    op.create_table(
        "person_roles",
        sa.Column("person_id", sa.String(100), sa.ForeignKey("people.id"), primary_key=True),
        sa.Column("role", sa.String(100), primary_key=True),
    )
    op.create_table(
        "person_logins",
        sa.Column("login", sa.String(100), primary_key=True),
        sa.Column("person_id", sa.String(100), sa.ForeignKey("people.id"), nullable=False),
    )
    protection.install(op.get_bind())


def downgrade() -> None:
    for table in ("person_logins", "person_roles", "people", "outbox", "tasks", "history",
                  "contracts", "number_counters", "definitions"):
        op.drop_table(table)
