"""Queries and writes of approval rounds, votes, delegations and approval tasks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.orm import Session

from engine.store.approval_models import (
    ApprovalApprover,
    ApprovalLevelRow,
    ApprovalRound,
    ApprovalVote,
    Delegation,
)
from engine.store.models import Contract, Person, Task

# --- rounds --------------------------------------------------------------------


def open_round(session: Session, contract_id: int) -> ApprovalRound | None:
    return session.scalars(select(ApprovalRound).where(
        ApprovalRound.contract_id == contract_id, ApprovalRound.status == "open")
        .order_by(ApprovalRound.round_no.desc())).first()


def last_round_no(session: Session, contract_id: int) -> int:
    value = session.scalar(select(func.max(ApprovalRound.round_no))
                           .where(ApprovalRound.contract_id == contract_id))
    return int(value or 0)


def add_round(session: Session, **values: Any) -> ApprovalRound:
    row = ApprovalRound(**values)
    session.add(row)
    session.flush()
    return row


def close_round(session: Session, round_id: int, status: str, closed_at: datetime,
                closed_by: str, reason: str | None) -> None:
    session.execute(update(ApprovalRound).where(ApprovalRound.id == round_id).values(
        status=status, closed_at=closed_at, closed_by=closed_by, close_reason=reason,
        current_position=0).execution_options(synchronize_session=False))


def set_current_position(session: Session, round_id: int, position: int) -> None:
    session.execute(update(ApprovalRound).where(ApprovalRound.id == round_id)
                    .values(current_position=position)
                    .execution_options(synchronize_session=False))


# --- levels and approvers --------------------------------------------------------


def add_level(session: Session, **values: Any) -> ApprovalLevelRow:
    row = ApprovalLevelRow(**values)
    session.add(row)
    session.flush()
    return row


def levels_of(session: Session, round_id: int) -> list[ApprovalLevelRow]:
    return list(session.scalars(select(ApprovalLevelRow).where(
        ApprovalLevelRow.round_id == round_id).order_by(ApprovalLevelRow.position,
                                                        ApprovalLevelRow.id)))


def update_level(session: Session, level_id: int, **values: Any) -> None:
    session.execute(update(ApprovalLevelRow).where(ApprovalLevelRow.id == level_id)
                    .values(**values).execution_options(synchronize_session=False))


def add_approver(session: Session, level_id: int, person_id: str, added_by: str) -> None:
    session.add(ApprovalApprover(level_id=level_id, person_id=person_id, added_by=added_by))


def approvers_of(session: Session, level_ids: list[int]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = {level_id: set() for level_id in level_ids}
    rows = session.execute(select(ApprovalApprover.level_id, ApprovalApprover.person_id)
                           .where(ApprovalApprover.level_id.in_(level_ids)))
    for level_id, person_id in rows:
        found[level_id].add(person_id)
    return found


def overdue_levels(session: Session, now: datetime) -> list[tuple[int, int]]:
    """Return (contract id, level id) of active levels past their due time, not yet escalated."""
    rows = session.execute(
        select(ApprovalRound.contract_id, ApprovalLevelRow.id)
        .join(ApprovalRound, ApprovalRound.id == ApprovalLevelRow.round_id)
        .where(ApprovalLevelRow.status == "active", ApprovalLevelRow.due_at <= now,
               ApprovalLevelRow.escalated_at.is_(None), ApprovalRound.status == "open")
        .order_by(ApprovalLevelRow.due_at, ApprovalLevelRow.id))
    return [(contract_id, level_id) for contract_id, level_id in rows]


def level_by_id(session: Session, level_id: int) -> ApprovalLevelRow | None:
    return session.get(ApprovalLevelRow, level_id)


def round_by_id(session: Session, round_id: int) -> ApprovalRound | None:
    return session.get(ApprovalRound, round_id)


# --- votes -------------------------------------------------------------------------


def votes_of(session: Session, round_id: int) -> list[ApprovalVote]:
    return list(session.scalars(select(ApprovalVote).where(ApprovalVote.round_id == round_id)
                                .order_by(ApprovalVote.id)))


def add_vote(session: Session, **values: Any) -> None:
    session.add(ApprovalVote(**values))


# --- delegations -------------------------------------------------------------------


def add_delegation(session: Session, **values: Any) -> Delegation:
    row = Delegation(**values)
    session.add(row)
    session.flush()
    return row


def delegation(session: Session, delegation_id: int) -> Delegation | None:
    return session.get(Delegation, delegation_id)


def delegations(session: Session, include_revoked: bool = False) -> list[Delegation]:
    query = select(Delegation)
    if not include_revoked:
        query = query.where(Delegation.revoked_at.is_(None))
    return list(session.scalars(query.order_by(Delegation.valid_from, Delegation.id)))


def delegations_to(session: Session, delegate: str, day: date) -> list[Delegation]:
    """Return unrevoked delegations to `delegate` whose window contains business date `day`."""
    return list(session.scalars(select(Delegation).where(
        Delegation.delegate == delegate, Delegation.revoked_at.is_(None),
        Delegation.valid_from <= day, Delegation.valid_until >= day)
        .order_by(Delegation.delegator, Delegation.id)))


def revoke_delegation(session: Session, delegation_id: int, revoked_at: datetime,
                      revoked_by: str) -> None:
    session.execute(update(Delegation).where(Delegation.id == delegation_id).values(
        revoked_at=revoked_at, revoked_by=revoked_by)
        .execution_options(synchronize_session=False))


def active_people(session: Session) -> set[str]:
    return set(session.scalars(select(Person.id).where(Person.active.is_(True))))


# --- approval tasks ------------------------------------------------------------------


def close_tasks(session: Session, contract_id: int, source: str | None, status: str,
                closed_at: datetime, closed_by: str | None, comment: str | None,
                assignee: str | None = None) -> None:
    """Close the open approval tasks of a contract, of one level (`source`) or all of them."""
    query = update(Task).where(Task.contract_id == contract_id, Task.kind == "approval",
                               Task.status == "open")
    if source is not None:
        query = query.where(Task.source == source)
    if assignee is not None:
        query = query.where(Task.assignee == assignee)
    session.execute(query.values(status=status, done_at=closed_at, done_by=closed_by,
                                 comment=comment).execution_options(synchronize_session=False))


def open_task_rows(session: Session, role: str | None, assignees: list[str] | None,
                   roles_for_unassigned: list[str] | None) -> list[tuple[Task, Contract]]:
    """Return open tasks with their contracts, oldest first.

    `assignees` keeps tasks assigned to one of those people; together with
    `roles_for_unassigned` it also keeps unassigned tasks of those roles.
    """
    query = (select(Task, Contract).join(Contract, Task.contract_id == Contract.id)
             .where(Task.status == "open"))
    if role is not None:
        query = query.where(Task.role == role)
    if assignees is not None:
        mine: ColumnElement[bool] = Task.assignee.in_(assignees)
        if roles_for_unassigned:
            mine = or_(mine, Task.assignee.is_(None) & Task.role.in_(roles_for_unassigned))
        query = query.where(mine)
    query = query.order_by(Task.created_at, Task.id)
    return [(task, contract) for task, contract in session.execute(query)]


def contract_by_id(session: Session, contract_id: int) -> Contract | None:
    return session.get(Contract, contract_id)
