"""Queries and writes for contingency plans, their tasks and the tick's evaluation marks."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select, true, update
from sqlalchemy.orm import Session

from engine.store.models import Contract, Definition, Obligation, Task
from engine.store.plan_models import PlanEscalation, PlanGuardError, PlanOccurrence, PlanTask

OPEN = "open"
CLOSED = "closed"
MEASURE = "measure"
ESCALATION = "escalation"


@dataclass(frozen=True)
class TickScope:
    """The contracts of one definition that a plan tick visits."""

    final_states: tuple[str, ...]  # never visited
    all_active: bool  # every contract not in a final state, not only those with an open plan
    obligations_due: bool = False  # also contracts with an obligation due for a check


@dataclass(frozen=True)
class OccurrenceRow:
    """An open occurrence with what the plan engine needs to know about it."""

    occurrence: PlanOccurrence
    escalations_done: frozenset[int]
    measures_open: int
    measures_total: int


# --- occurrences ----------------------------------------------------------------


PlanRows = tuple[list[OccurrenceRow], frozenset[str]]


def plan_rows(session: Session, contract_id: int) -> PlanRows:
    """Return the contract's open occurrences and the plans waiting for their trigger to reset.

    A plan waits when its latest occurrence closed with rearm_required. The plan
    opens again only after the flag is cleared, so a flagged row is its plan's latest.
    """
    return plan_rows_of(session, [contract_id])[contract_id]


def plan_rows_of(session: Session, contract_ids: Sequence[int]) -> dict[int, PlanRows]:
    """Return plan_rows for many contracts with three queries."""
    found = list(session.scalars(
        select(PlanOccurrence)
        .where(PlanOccurrence.contract_id.in_(list(contract_ids)),
               or_(PlanOccurrence.status == OPEN, PlanOccurrence.rearm_required.is_(True)))
        .order_by(PlanOccurrence.id)))
    progress = _with_progress(session, [o for o in found if o.status == OPEN])
    by_contract: dict[int, list[PlanOccurrence]] = {contract_id: [] for contract_id in contract_ids}
    for occurrence in found:
        by_contract[occurrence.contract_id].append(occurrence)
    return {contract_id: (
        [progress[o.id] for o in mine if o.status == OPEN],
        frozenset(o.plan_id for o in mine if o.status == CLOSED and o.rearm_required),
    ) for contract_id, mine in by_contract.items()}


def _with_progress(session: Session,
                   occurrences: list[PlanOccurrence]) -> dict[int, OccurrenceRow]:
    if not occurrences:
        return {}
    ids = [occurrence.id for occurrence in occurrences]
    done: dict[int, set[int]] = {}
    for occurrence_id, step in session.execute(
            select(PlanEscalation.occurrence_id, PlanEscalation.step_index)
            .where(PlanEscalation.occurrence_id.in_(ids))):
        done.setdefault(occurrence_id, set()).add(step)
    counts = measure_counts(session, ids)
    return {o.id: OccurrenceRow(o, frozenset(done.get(o.id, ())), counts.get(o.id, (0, 0))[0],
                                counts.get(o.id, (0, 0))[1]) for o in occurrences}


def measure_counts(session: Session, occurrence_ids: Sequence[int]) -> dict[int, tuple[int, int]]:
    """Return (open, total) measure counts per occurrence."""
    rows = session.execute(
        select(PlanTask.occurrence_id, Task.status, func.count())
        .join(Task, Task.id == PlanTask.task_id)
        .where(PlanTask.occurrence_id.in_(list(occurrence_ids)), PlanTask.kind == MEASURE)
        .group_by(PlanTask.occurrence_id, Task.status))
    counts: dict[int, tuple[int, int]] = {}
    for occurrence_id, status, count in rows:
        still_open, total = counts.get(occurrence_id, (0, 0))
        counts[occurrence_id] = (still_open + (count if status == "open" else 0), total + count)
    return counts


def add_occurrence(session: Session, **values: object) -> PlanOccurrence:
    """Insert an open occurrence and flush, so a second open one fails on the unique index now."""
    occurrence = PlanOccurrence(status=OPEN, rearm_required=False, **values)
    session.add(occurrence)
    session.flush()
    return occurrence


def close_occurrence(session: Session, occurrence_id: int, closed_at: datetime, reason: str,
                     rearm_required: bool) -> None:
    session.execute(update(PlanOccurrence).where(PlanOccurrence.id == occurrence_id).values(
        status=CLOSED, closed_at=closed_at, close_reason=reason,
        rearm_required=rearm_required).execution_options(synchronize_session=False))


def clear_rearm(session: Session, contract_id: int, plan_id: str) -> None:
    session.execute(update(PlanOccurrence).where(
        PlanOccurrence.contract_id == contract_id, PlanOccurrence.plan_id == plan_id,
        PlanOccurrence.rearm_required.is_(True)).values(rearm_required=False)
        .execution_options(synchronize_session=False))


def add_escalation(session: Session, occurrence_id: int, step_index: int, done_at: datetime,
                   outcome: str) -> None:
    session.add(PlanEscalation(occurrence_id=occurrence_id, step_index=step_index,
                               done_at=done_at, outcome=outcome))
    session.flush()


# --- tasks ----------------------------------------------------------------------


def add_plan_task(session: Session, occurrence_id: int, link_kind: str,
                  **values: object) -> Task:
    """Insert a task and link it to its occurrence as a measure or an escalation task."""
    task = Task(**values)
    session.add(task)
    session.flush()
    session.add(PlanTask(task_id=task.id, occurrence_id=occurrence_id, kind=link_kind))
    return task


def cancel_open_tasks(session: Session, occurrence_id: int, now: datetime) -> list[int]:
    ids = list(session.scalars(
        select(Task.id).join(PlanTask, PlanTask.task_id == Task.id)
        .where(PlanTask.occurrence_id == occurrence_id, Task.status == "open")
        .order_by(Task.id)))
    if ids:
        session.execute(update(Task).where(Task.id.in_(ids)).values(
            status="cancelled", done_at=now, done_by="system")
            .execution_options(synchronize_session=False))
    return ids


def task_by_id(session: Session, task_id: int) -> Task | None:
    return session.get(Task, task_id)


def plan_link_of(session: Session, task_id: int) -> PlanTask | None:
    return session.get(PlanTask, task_id)


def complete_task(session: Session, task_id: int, done_at: datetime, done_by: str,
                  comment: str | None) -> bool:
    """Mark an open task done; False when it was no longer open."""
    result = session.execute(update(Task).where(Task.id == task_id, Task.status == "open")
                             .values(status="done", done_at=done_at, done_by=done_by,
                                     comment=comment)
                             .execution_options(synchronize_session=False))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def contract_by_id(session: Session, contract_id: int) -> Contract:
    return session.get_one(Contract, contract_id)


# --- the tick --------------------------------------------------------------------


def definitions_key(session: Session) -> tuple[int, int]:
    """Return (count, highest id) of the deployed definitions, which only grow."""
    count, highest = session.execute(select(func.count(), func.max(Definition.id))).one()
    return int(count), int(highest or 0)


def tick_candidates(session: Session, scope: dict[int, TickScope], now: datetime,
                    after_id: int, limit: int) -> list[Contract]:
    """Return up to `limit` contracts in `scope` with an id above `after_id`, in id order.

    `scope` maps each definition id that has plans to the contracts a tick visits.
    """
    if not scope:
        return []
    has_open_plan = (select(PlanOccurrence.id)
                     .where(PlanOccurrence.contract_id == Contract.id,
                            PlanOccurrence.status == OPEN).exists())
    # Obligations stay due for a check from the day after their due date until settled.
    obligation_due = (select(Obligation.id)
                      .where(Obligation.contract_id == Contract.id,
                             Obligation.next_check_at <= now).exists())
    in_scope = or_(*(and_(Contract.definition_id == definition_id,
                          Contract.state.notin_(part.final_states) if part.final_states
                          else true(),
                          _visited(part, has_open_plan, obligation_due))
                     for definition_id, part in scope.items()))
    return list(session.scalars(
        select(Contract)
        .where(in_scope, Contract.voided.is_(False), Contract.id > after_id)
        .order_by(Contract.id).limit(limit)))


def _visited(part: TickScope, has_open_plan, obligation_due):  # type: ignore[no-untyped-def]
    if part.all_active:
        return true()
    if part.obligations_due:
        return or_(has_open_plan, obligation_due)
    return has_open_plan


def obligations_of_contracts(session: Session,
                             contract_ids: Sequence[int]) -> dict[int, list[Obligation]]:
    found: dict[int, list[Obligation]] = {contract_id: [] for contract_id in contract_ids}
    for row in session.scalars(select(Obligation)
                               .where(Obligation.contract_id.in_(list(contract_ids)))
                               .order_by(Obligation.id)):
        found[row.contract_id].append(row)
    return found


def lock_contract(session: Session, contract_id: int, skip_locked: bool) -> Contract | None:
    """Read the contract again and lock its row for this transaction.

    With `skip_locked`, return None when another transaction holds the lock
    (FOR UPDATE SKIP LOCKED on PostgreSQL); otherwise wait for it. SQLite has
    no row locks, and its writers are serialized by BEGIN IMMEDIATE instead.
    """
    return session.scalars(
        select(Contract).where(Contract.id == contract_id)
        .with_for_update(skip_locked=skip_locked)
        .execution_options(populate_existing=True)).first()


# --- guard errors -------------------------------------------------------------------


def guard_errors_of(session: Session, contract_ids: Sequence[int]) -> dict[int, str]:
    rows = session.execute(select(PlanGuardError.contract_id, PlanGuardError.message)
                           .where(PlanGuardError.contract_id.in_(list(contract_ids))))
    return {contract_id: message for contract_id, message in rows}


def set_guard_error(session: Session, contract_id: int, message: str | None,
                    now: datetime) -> None:
    """Store the contract's current guard errors, or delete them when `message` is None."""
    row = session.get(PlanGuardError, contract_id)
    if message is None:
        if row is not None:
            session.delete(row)
        return
    if row is None:
        session.add(PlanGuardError(contract_id=contract_id, message=message, recorded_at=now))
    else:
        row.message, row.recorded_at = message, now


# --- listing --------------------------------------------------------------------


def list_occurrences(session: Session, open_only: bool, severity: str | None,
                     contract_number: str | None) -> list[tuple[PlanOccurrence, str, int]]:
    """Return (occurrence, contract number, definition id) rows, oldest opening first."""
    query = select(PlanOccurrence, Contract.number, Contract.definition_id).join(
        Contract, Contract.id == PlanOccurrence.contract_id)
    if open_only:
        query = query.where(PlanOccurrence.status == OPEN)
    if severity:
        query = query.where(PlanOccurrence.severity == severity)
    if contract_number:
        query = query.where(Contract.number == contract_number)
    query = query.order_by(PlanOccurrence.opened_at, PlanOccurrence.id)
    return [(occurrence, number, definition_id)
            for occurrence, number, definition_id in session.execute(query)]


def plan_tasks_of(session: Session, occurrence_ids: Sequence[int]) -> list[tuple[PlanTask, Task]]:
    rows = session.execute(select(PlanTask, Task).join(Task, Task.id == PlanTask.task_id)
                           .where(PlanTask.occurrence_id.in_(list(occurrence_ids)))
                           .order_by(Task.id))
    return [(link, task) for link, task in rows]


def escalations_of(session: Session, occurrence_ids: Sequence[int]) -> dict[int, int]:
    rows = session.execute(select(PlanEscalation.occurrence_id, func.count())
                           .where(PlanEscalation.occurrence_id.in_(list(occurrence_ids)))
                           .group_by(PlanEscalation.occurrence_id))
    return {occurrence_id: count for occurrence_id, count in rows}
