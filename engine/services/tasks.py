"""Open tasks, oldest first, for everyone, for one person or for one role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from engine import jsonutil
from engine.services import delegations
from engine.services.identity import Identity
from engine.store import approval_repo


@dataclass(frozen=True)
class TaskView:
    """One open task as `lvyue tasks` shows it."""

    id: int
    contract: str
    kind: str
    title: dict[str, str]
    role: str | None
    assignee: str | None
    delegated_by: str | None  # set when the viewer sees it through a delegation
    created_at: datetime
    due_at: datetime | None

    def overdue(self, now: datetime) -> bool:
        return self.due_at is not None and self.due_at <= now


def open_tasks(session: Session, now: datetime, mine: Identity | None = None,
               role: str | None = None) -> list[TaskView]:
    """Return open tasks oldest first.

    With `mine`, only tasks assigned to that person, to someone who delegated to
    them at `now`, or unassigned tasks of a role they hold.
    """
    assignees = None
    unassigned_roles = None
    delegators: dict[str, int] = {}
    if mine is not None:
        delegators = delegations.active_for(session, mine.actor, now)
        assignees = [mine.actor, *delegators]
        unassigned_roles = list(mine.roles)
    rows = approval_repo.open_task_rows(session, role, assignees, unassigned_roles)
    return [TaskView(
        id=task.id, contract=contract.number, kind=task.kind,
        title=jsonutil.loads(task.title_json), role=task.role, assignee=task.assignee,
        delegated_by=task.assignee if task.assignee in delegators else None,
        created_at=task.created_at, due_at=task.due_at,
    ) for task, contract in rows]
