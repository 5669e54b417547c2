"""Completing tasks: remediation measures, escalation tasks and tasks that moves created."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from engine import jsonutil
from engine.errors import ConflictError, NotFoundError, RefusedError
from engine.i18n import _, label
from engine.services import plan_engine
from engine.services.identity import Identity
from engine.services.processes import from_row
from engine.services.recording import Entry, Recorder
from engine.store import plan_repo, repo
from engine.store.models import Task

# Kinds `lvyue tasks done` completes. Other kinds (approval votes) have their own commands.
COMPLETABLE_KINDS = ("action", plan_repo.MEASURE, plan_repo.ESCALATION)


@dataclass(frozen=True)
class TaskDone:
    task_id: int
    number: str
    closed_plans: tuple[str, ...]
    moves: tuple[tuple[str, str, str], ...]  # (trigger, from, to) the closure caused


def complete(session: Session, identity: Identity, task_id: int, now: datetime,
             comment: str | None) -> TaskDone:
    """Mark a task done as the acting person, record it, then re-evaluate the contract's plans."""
    task = plan_repo.task_by_id(session, task_id)
    if task is None:
        raise NotFoundError(_("Task {id} not found. 'lvyue tasks' lists the open tasks with "
                              "their ids.").format(id=task_id))
    _check_completable(task)
    role = _acting_role(task, identity)

    contract = plan_repo.contract_by_id(session, task.contract_id)
    definition = from_row(repo.definition_by_id(session, contract.definition_id))
    if not plan_repo.complete_task(session, task.id, now, identity.actor, comment):
        raise ConflictError(_("Task {id} was completed by someone else while this command ran; "
                              "nothing was written.").format(id=task.id))

    link = plan_repo.plan_link_of(session, task.id)
    recorder = Recorder(session, contract, definition.process_id, definition.version, now)
    recorder.append(Entry(
        kind="task_done", actor=identity.actor, os_login=identity.os_login, role=role,
        reason=comment, details={
            "task": task.id, "task_kind": task.kind, "title": jsonutil.loads(task.title_json),
            "occurrence": link.occurrence_id if link is not None else None,
            "acting_for_other": identity.for_other,
        }))
    outcome = plan_engine.evaluate_and_commit(session, recorder, contract, definition, now,
                                              identity.os_login)
    return TaskDone(task.id, contract.number,
                    tuple(closure.plan.plan_id for closure in outcome.closures),
                    tuple((m.transition.trigger, m.from_state, m.to_state)
                          for m in outcome.moves))


def _check_completable(task: Task) -> None:
    if task.status != "open":
        raise RefusedError(_("Task {id} is already {status}; only open tasks can be completed.")
                           .format(id=task.id, status=task.status))
    if task.kind not in COMPLETABLE_KINDS:
        raise RefusedError(_("Task {id} is a {kind} task, which 'lvyue tasks done' does not "
                             "complete; use the command for its kind.").format(
            id=task.id, kind=task.kind))


def _acting_role(task: Task, identity: Identity) -> str | None:
    """Return the role the person completes the task in; refuse people the task is not for."""
    title = label(jsonutil.loads(task.title_json))
    if task.assignee is not None:
        if task.assignee != identity.actor:
            raise RefusedError(_("Task {id} ({title}) is assigned to {assignee}, not to "
                                 "{actor}.").format(id=task.id, title=title,
                                                    assignee=task.assignee, actor=identity.actor))
        return identity.requested_role
    if task.role is None:
        return identity.requested_role
    if identity.requested_role is not None and identity.requested_role != task.role:
        raise RefusedError(_("Task {id} ({title}) is for role {role}, not {requested}; drop "
                             "--role or pass --role {role}.").format(
            id=task.id, title=title, role=task.role, requested=identity.requested_role))
    if task.role not in identity.roles:
        raise RefusedError(_("Task {id} ({title}) is for role {role}, and {actor} holds "
                             "{held}. Ask someone with role {role} to complete it.").format(
            id=task.id, title=title, role=task.role, actor=identity.actor,
            held=", ".join(identity.roles) or "-"))
    return task.role
