"""Tables of approval rounds, their levels, approvers and votes, and delegations."""

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
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base


class ApprovalRound(Base):
    """One approval of one contract, from entering the approval state to its outcome."""

    __tablename__ = "approval_rounds"
    __table_args__ = (UniqueConstraint("contract_id", "round_no",
                                       name="uq_approval_rounds_contract_round"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("contracts.id"), index=True)
    round_no: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(100))
    initiator: Mapped[str] = mapped_column(String(100))
    # open, approved, rejected, withdrawn (by the initiator or a data change), cancelled
    status: Mapped[str] = mapped_column(String(20))
    current_position: Mapped[int] = mapped_column(Integer)
    data_json: Mapped[str] = mapped_column(Text)  # contract data when the round started
    started_at: Mapped[datetime] = mapped_column(DateTime)
    closed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    close_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class ApprovalLevelRow(Base):
    """One role of one level of a round; a countersign level has one row per role."""

    __tablename__ = "approval_levels"
    __table_args__ = (
        UniqueConstraint("round_id", "position", "role",
                         name="uq_approval_levels_round_position_role"),
        Index("ix_approval_levels_status_due", "status", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("approval_rounds.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # 1-based, in file order
    role: Mapped[str] = mapped_column(String(100))
    quorum: Mapped[str] = mapped_column(String(10))  # any, all or a whole number
    applies: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(20))  # pending, active, done, skipped
    required: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


class ApprovalApprover(Base):
    """A person who may approve one level row, fixed when the level starts."""

    __tablename__ = "approval_approvers"

    level_id: Mapped[int] = mapped_column(ForeignKey("approval_levels.id"), primary_key=True)
    person_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    added_by: Mapped[str] = mapped_column(String(20))  # role or escalation


class ApprovalVote(Base):
    """One approve or reject; `principal` is the person whose approval it counts as."""

    __tablename__ = "approval_votes"
    __table_args__ = (
        UniqueConstraint("round_id", "voter", name="uq_approval_votes_round_voter"),
        UniqueConstraint("round_id", "principal", name="uq_approval_votes_round_principal"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("approval_rounds.id"), index=True)
    level_id: Mapped[int] = mapped_column(ForeignKey("approval_levels.id"))
    voter: Mapped[str] = mapped_column(String(100))
    principal: Mapped[str] = mapped_column(String(100))
    on_behalf_of: Mapped[str | None] = mapped_column(String(100), nullable=True)
    delegation_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    role: Mapped[str] = mapped_column(String(100))
    decision: Mapped[str] = mapped_column(String(10))  # approve or reject
    comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    cast_at: Mapped[datetime] = mapped_column(DateTime)


class Delegation(Base):
    """The delegate may approve for the delegator from valid_from to valid_until (inclusive).

    Person ids are plain strings without a foreign key, so `lvyue org apply`, which
    replaces the people, keeps every delegation.
    """

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delegator: Mapped[str] = mapped_column(String(100), index=True)
    delegate: Mapped[str] = mapped_column(String(100), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime)
    created_by: Mapped[str] = mapped_column(String(100))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
