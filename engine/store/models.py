"""SQLAlchemy models: the tables every Lvyue store has."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Definition(Base):
    """A deployed process definition; immutable once written."""

    __tablename__ = "definitions"
    __table_args__ = (UniqueConstraint("process_id", "version", name="uq_definitions_process_version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    source_name: Mapped[str] = mapped_column(String(255))
    source_text: Mapped[str] = mapped_column(Text)
    title_json: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[datetime] = mapped_column(DateTime)
    deployed_by: Mapped[str] = mapped_column(String(100))


class NumberCounter(Base):
    """Last contract number handed out per series and business year."""

    __tablename__ = "number_counters"

    series: Mapped[str] = mapped_column(String(20), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_value: Mapped[int] = mapped_column(Integer)


class Contract(Base):
    __tablename__ = "contracts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    external_ref: Mapped[str | None] = mapped_column(String(100), unique=True, nullable=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("definitions.id"))
    customer: Mapped[str] = mapped_column(String(200), index=True)
    state: Mapped[str] = mapped_column(String(100), index=True)
    data_json: Mapped[str] = mapped_column(Text)
    row_version: Mapped[int] = mapped_column(Integer)
    last_seq: Mapped[int] = mapped_column(Integer)
    last_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    voided: Mapped[bool] = mapped_column(Boolean, default=False)


class HistoryRow(Base):
    """One thing that happened to a contract; append-only and hash-chained."""

    __tablename__ = "history"
    __table_args__ = (UniqueConstraint("contract_id", "seq", name="uq_history_contract_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    seq: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    actor: Mapped[str] = mapped_column(String(100))
    os_login: Mapped[str] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(100), nullable=True)
    on_behalf_of: Mapped[str | None] = mapped_column(String(100), nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    effective_at: Mapped[datetime] = mapped_column(DateTime)
    trigger: Mapped[str | None] = mapped_column(String(100), nullable=True)
    from_state: Mapped[str | None] = mapped_column(String(100), nullable=True)
    to_state: Mapped[str | None] = mapped_column(String(100), nullable=True)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    rule: Mapped[str | None] = mapped_column(String(200), nullable=True)
    data_diff: Mapped[str] = mapped_column(Text)
    details: Mapped[str] = mapped_column(Text)
    process_id: Mapped[str] = mapped_column(String(100))
    process_version: Mapped[int] = mapped_column(Integer)
    hash_format: Mapped[int] = mapped_column(Integer)
    hash_algorithm: Mapped[str] = mapped_column(String(20))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_status_due", "status", "due_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    title_json: Mapped[str] = mapped_column(Text)
    role: Mapped[str | None] = mapped_column(String(100), nullable=True)
    assignee: Mapped[str | None] = mapped_column(String(100), nullable=True)
    source: Mapped[str | None] = mapped_column(String(200), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    done_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    done_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)


class OutboxMessage(Base):
    """A notification waiting to be delivered (at least once) by a channel."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_next", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int | None] = mapped_column(ForeignKey("contracts.id"), nullable=True)
    recipient_role: Mapped[str | None] = mapped_column(String(100), nullable=True)
    recipient: Mapped[str | None] = mapped_column(String(200), nullable=True)
    subject_json: Mapped[str] = mapped_column(Text)
    body_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    status: Mapped[str] = mapped_column(String(20))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    next_attempt_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class Person(Base):
    """Someone in the org file; roles and logins hang off it."""

    __tablename__ = "people"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    can_act_for_others: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class PersonRole(Base):
    __tablename__ = "person_roles"

    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(100), primary_key=True)


class PersonLogin(Base):
    __tablename__ = "person_logins"

    login: Mapped[str] = mapped_column(String(100), primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.id"))


class Obligation(Base):
    """What a contract owes (payment, delivery, acceptance) and how far it is settled.

    `next_check_at` is the next instant a tick must look at it; ticks select on it,
    so their cost grows with what is due rather than with the number of contracts.
    """

    __tablename__ = "obligations"
    __table_args__ = (
        UniqueConstraint("contract_id", "name", name="uq_obligations_contract_name"),
        Index("ix_obligations_next_check_at", "next_check_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    amount: Mapped[str] = mapped_column(String(40))  # Decimal as text
    due_on: Mapped[date] = mapped_column(Date)
    settled_amount: Mapped[str] = mapped_column(String(40))
    settled_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    overdue_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    next_check_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ContractEvent(Base):
    """An event of a contract: applied (it has a history row) or pending until its time.

    Imports schedule events as pending; a tick or replay applies them when the
    clock reaches their effective time. `event_key` de-duplicates repeated imports.
    """

    __tablename__ = "contract_events"
    __table_args__ = (
        UniqueConstraint("contract_id", "event_key", name="uq_contract_events_contract_key"),
        Index("ix_contract_events_status_effective", "status", "effective_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"))
    event: Mapped[str] = mapped_column(String(100))
    event_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    effective_at: Mapped[datetime] = mapped_column(DateTime)
    recorded_at: Mapped[datetime] = mapped_column(DateTime)
    fields_json: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20))  # pending or applied
    source: Mapped[str] = mapped_column(String(20))  # cli or import
    actor: Mapped[str] = mapped_column(String(100))
    os_login: Mapped[str] = mapped_column(String(100))
    history_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)


class ClockMark(Base):
    """A named instant the clock has reached, such as the last tick."""

    __tablename__ = "clock_marks"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    instant: Mapped[datetime] = mapped_column(DateTime)
