"""Rows for `lvyue plans`: each plan occurrence with its owner, age and overdue measures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from engine.definition.model import Label
from engine.services.processes import from_row
from engine.store import plan_repo, repo


@dataclass(frozen=True)
class PlanRow:
    occurrence_id: int
    contract: str
    plan_id: str
    risk: Label
    severity: str
    owner: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    age_days: int  # whole days open, until closure or `now`
    fired_trigger: str | None
    fire_outcome: str
    measures_done: int
    measures_total: int
    overdue_measures: tuple[int, ...]  # task ids of open measures past their due time
    escalations_done: int
    close_reason: str | None


def list_plans(session: Session, now: datetime, open_only: bool = False,
               severity: str | None = None, contract: str | None = None) -> list[PlanRow]:
    """Return plan occurrences, oldest first, with their measure and escalation counts."""
    found = plan_repo.list_occurrences(session, open_only, severity, contract)
    ids = [occurrence.id for occurrence, _number, _definition in found]
    tasks = plan_repo.plan_tasks_of(session, ids)
    escalations = plan_repo.escalations_of(session, ids)
    rows = []
    for occurrence, number, definition_id in found:
        definition = from_row(repo.definition_by_id(session, definition_id))
        plan = definition.contingency_plans.get(occurrence.plan_id)
        measures = [task for link, task in tasks
                    if link.occurrence_id == occurrence.id and link.kind == plan_repo.MEASURE]
        overdue = tuple(task.id for task in measures if task.status == "open"
                        and task.due_at is not None and task.due_at < now)
        until = occurrence.closed_at or now
        rows.append(PlanRow(
            occurrence_id=occurrence.id, contract=number, plan_id=occurrence.plan_id,
            risk=plan.risk if plan is not None else {},
            severity=occurrence.severity, owner=occurrence.owner_role, status=occurrence.status,
            opened_at=occurrence.opened_at, closed_at=occurrence.closed_at,
            age_days=max((until - occurrence.opened_at).days, 0),
            fired_trigger=occurrence.fired_trigger, fire_outcome=occurrence.fire_outcome,
            measures_done=sum(1 for task in measures if task.status == "done"),
            measures_total=len(measures), overdue_measures=overdue,
            escalations_done=escalations.get(occurrence.id, 0),
            close_reason=occurrence.close_reason,
        ))
    return rows
