"""SQLAlchemy models for contingency plans, reminders and notification deliveries.

Migration 0004 creates these tables. They live apart from models.py so the
plan engine adds tables without rewriting the foundation's models.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base, Obligation

# At most one open occurrence per contract and plan. The index is partial, so
# closed occurrences of the same plan may pile up; SQLite (3.8+) and
# PostgreSQL both support the WHERE clause.
OPEN_OCCURRENCE_INDEX = "uq_plan_occurrences_open"


class PlanOccurrence(Base):
    """One occurrence of a contingency plan on one contract, from opening to closure."""

    __tablename__ = "plan_occurrences"
    __table_args__ = (
        Index(OPEN_OCCURRENCE_INDEX, "contract_id", "plan_id", unique=True,
              sqlite_where=text("status = 'open'"),
              postgresql_where=text("status = 'open'")),
        Index("ix_plan_occurrences_status", "status", "opened_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    plan_id: Mapped[str] = mapped_column(String(100))
    process_version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # open, closed
    severity: Mapped[str] = mapped_column(String(20))
    owner_role: Mapped[str] = mapped_column(String(100))
    opened_at: Mapped[datetime] = mapped_column(DateTime)
    opened_by: Mapped[str] = mapped_column(String(200))  # "when", "on:<event>"
    fired_trigger: Mapped[str | None] = mapped_column(String(100), nullable=True)
    fire_outcome: Mapped[str] = mapped_column(String(20))  # fired, skipped, none
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    close_reason: Mapped[str | None] = mapped_column(String(40), nullable=True)
    # True when the trigger still held at closure: the plan opens again only after
    # the trigger has been false at least once.
    rearm_required: Mapped[bool] = mapped_column(Boolean, default=False)


class PlanEscalation(Base):
    """An escalation step taken for an occurrence; the unique key makes each step run once."""

    __tablename__ = "plan_escalations"
    __table_args__ = (
        UniqueConstraint("occurrence_id", "step_index", name="uq_plan_escalations_step"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("plan_occurrences.id"))
    step_index: Mapped[int] = mapped_column(Integer)
    done_at: Mapped[datetime] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(20))  # notified, task, fired, skipped


class PlanTask(Base):
    """Links a task to the plan occurrence that created it (a measure or an escalation task)."""

    __tablename__ = "plan_tasks"

    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"), primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("plan_occurrences.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # measure, escalation


class PlanGuardError(Base):
    """The plan guard errors of a contract's latest evaluation, while there are any.

    The history gets a row when the text changes, not on every evaluation that
    repeats the same error. The row here is deleted when the guards work again.
    """

    __tablename__ = "plan_guard_errors"

    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), primary_key=True)
    message: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)


class OutboxDelivery(Base):
    """One outbox message delivered through one channel; a retry skips channels listed here."""

    __tablename__ = "outbox_deliveries"
    __table_args__ = (
        UniqueConstraint("outbox_id", "channel", name="uq_outbox_deliveries_channel"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"))
    channel: Mapped[str] = mapped_column(String(100))
    delivered_at: Mapped[datetime] = mapped_column(DateTime)
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class ObligationReminder(Base):
    """A reminder sent, or skipped because a later one replaced it, for one due date.

    The unique key makes each reminder of an obligation happen once per due date;
    a changed due date starts a fresh set.
    """

    __tablename__ = "obligation_reminders"
    __table_args__ = (
        UniqueConstraint("contract_id", "obligation", "due_on", "remind_offset",
                         name="uq_obligation_reminders_once"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    obligation: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[date] = mapped_column(Date)
    remind_offset: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20))  # sent, skipped
    decided_at: Mapped[datetime] = mapped_column(DateTime)


# Reminder ticks select obligations by due date.
Index("ix_obligations_due_on", Obligation.due_on)
