"""Contingency plans inside a contract transaction: evaluate, then store every decision.

Moves, events and data changes call `evaluate_in_transaction` before they
commit, and the tick step (plan_tick.py) calls it once per contract. Each
opening, measure, escalation, closure and skipped transition becomes a history
row in the same transaction as the state change it belongs to.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import jsonutil
from engine.clock import iso_utc
from engine.definition.model import ProcessDefinition
from engine.errors import ConflictError
from engine.i18n import _
from engine.runtime.moves import SYSTEM_ACTOR, ContractSnapshot, PlannedNotification, PlannedTask
from engine.runtime.obligations import ObligationStatus
from engine.runtime.plans import (
    Closure,
    Escalation,
    GuardFailure,
    Opening,
    OpenPlan,
    PlanOutcome,
    PlanState,
    evaluate_plans,
)
from engine.services import obligations
from engine.services.recording import Entry, Recorder
from engine.store import plan_repo, repo
from engine.store.models import Contract

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Context:
    """The transaction the decisions are stored in."""

    session: Session
    recorder: Recorder
    contract: Contract
    os_login: str
    now: datetime


def snapshot_of(contract: Contract, definition: ProcessDefinition,
                statuses: dict[str, ObligationStatus]) -> ContractSnapshot:
    """Return the contract as plan guards see it, with its obligations `statuses`."""
    return ContractSnapshot(
        number=contract.number, customer=contract.customer, state=contract.state,
        data=jsonutil.loads(contract.data_json), process_id=definition.process_id,
        process_version=definition.version, obligations=dict(statuses),
    )


def evaluate_and_commit(session: Session, recorder: Recorder, contract: Contract,
                        definition: ProcessDefinition, now: datetime,
                        os_login: str) -> PlanOutcome:
    """Read the contract with its obligations, evaluate its plans and commit what they recorded.

    The recorder is committed when it has any entry, including ones the caller
    appended before. Obligation terms follow data that fired transitions changed.
    """
    statuses, obligation_ids = obligations.load(session, contract.id)
    snapshot = snapshot_of(contract, definition, statuses)
    before = snapshot.data
    outcome = evaluate_in_transaction(session, recorder, contract, definition, snapshot, now,
                                      os_login)
    if not recorder.entries:
        return outcome
    obligations.refresh_terms(definition, snapshot, before)
    recorder.commit(snapshot.state, snapshot.data)
    if snapshot.data != before:
        obligations.save(session, contract.id, obligation_ids, snapshot.obligations, now)
    return outcome


def plan_state(session: Session, contract_id: int) -> PlanState:
    return state_from_rows(plan_repo.plan_rows(session, contract_id))


def state_from_rows(rows: plan_repo.PlanRows) -> PlanState:
    occurrences, waiting = rows
    open_plans = {row.occurrence.plan_id: OpenPlan(
        row.occurrence.id, row.occurrence.plan_id, row.occurrence.opened_at,
        row.escalations_done, row.measures_open, row.measures_total) for row in occurrences}
    return PlanState(open_plans, waiting)


def failure_text(failures: list[GuardFailure]) -> str | None:
    """Return the stored form of an evaluation's guard failures, None when there are none."""
    return "; ".join(f"{f.plan_id}.{f.key}: {f.message}" for f in failures) or None


def preview(definition: ProcessDefinition, snapshot: ContractSnapshot, now: datetime,
            state: PlanState) -> PlanOutcome:
    """Evaluate the plans on a copy of `snapshot`, writing nothing."""
    return evaluate_plans(definition, copy.deepcopy(snapshot), now, state)


def evaluate_in_transaction(session: Session, recorder: Recorder, contract: Contract,
                            definition: ProcessDefinition, snapshot: ContractSnapshot,
                            now: datetime, os_login: str,
                            event: str | None = None) -> PlanOutcome:
    """Evaluate the contract's plans on `snapshot` and store the outcome with `recorder`.

    Guard failures are recorded as a history row when they first appear (not
    again while the same error repeats). The caller commits the recorder.
    """
    if not definition.contingency_plans:
        return PlanOutcome()
    context = Context(session, recorder, contract, os_login, now)
    outcome = evaluate_plans(definition, snapshot, now, plan_state(session, contract.id), event)
    apply_outcome(context, snapshot, outcome)
    if outcome.moves and definition.states[snapshot.state].final:
        # A fired transition ended the contract: close what is still open at once,
        # because the tick does not visit contracts in final states.
        ending = evaluate_plans(definition, snapshot, now, plan_state(session, contract.id))
        apply_outcome(context, snapshot, ending)
        outcome.closures += ending.closures
    outcome.recorded_failures = record_failures(context, outcome.failures)
    return outcome


def apply_outcome(context: Context, snapshot: ContractSnapshot, outcome: PlanOutcome) -> None:
    for opening in outcome.openings:
        _store_opening(context, snapshot, opening)
    for escalation in outcome.escalations:
        _store_escalation(context, escalation)
    for closure in outcome.closures:
        _store_closure(context, closure)
    for plan_id in outcome.rearmed:
        plan_repo.clear_rearm(context.session, context.contract.id, plan_id)


def _system_entry(context: Context, kind: str, rule: str, details: dict[str, object],
                  **fields: object) -> Entry:
    return Entry(kind=kind, actor=SYSTEM_ACTOR, os_login=context.os_login, rule=rule,
                 details=details, **fields)  # type: ignore[arg-type]


def _store_opening(context: Context, snapshot: ContractSnapshot, opening: Opening) -> None:
    plan = opening.plan
    rule = f"plan:{plan.plan_id}"
    if plan.fire is None:
        fire_outcome = "none"
    else:
        fire_outcome = "skipped" if opening.skipped else "fired"
    try:
        occurrence = plan_repo.add_occurrence(
            context.session, contract_id=context.contract.id, plan_id=plan.plan_id,
            process_version=snapshot.process_version, severity=plan.severity,
            owner_role=plan.owner, opened_at=context.now, opened_by=opening.opened_by,
            fired_trigger=plan.fire, fire_outcome=fire_outcome)
    except IntegrityError as exc:
        raise _already_open(context.contract.number, plan.plan_id) from exc

    context.recorder.append(_system_entry(context, "plan_opened", rule, {
        "occurrence": occurrence.id, "plan": plan.plan_id, "risk": dict(plan.risk),
        "severity": plan.severity, "owner": plan.owner, "contacts": list(plan.contacts),
        "opened_by": opening.opened_by, "fire": plan.fire, "fire_outcome": fire_outcome,
        "notified": [n.role for n in opening.notifications],
    }, trigger=plan.fire))
    _store_moves(context, opening.moves, plan.fire, opening.skipped, rule)
    for measure in opening.measures:
        task = _add_task(context, occurrence.id, plan_repo.MEASURE, measure)
        context.recorder.append(_system_entry(context, "plan_measure", rule, {
            "occurrence": occurrence.id, "plan": plan.plan_id, "task": task.id,
            "title": measure.title, "role": measure.role,
            "due_at": iso_utc(measure.due_at) if measure.due_at else None,
        }))
    for notification in opening.notifications:
        _add_outbox(context, notification)


def _store_escalation(context: Context, escalation: Escalation) -> None:
    plan, step = escalation.plan, escalation.step
    rule = f"plan:{plan.plan_id}:escalate:{step.index + 1}"
    details: dict[str, object] = {"occurrence": escalation.occurrence_id, "plan": plan.plan_id,
                                  "step": step.index + 1, "after": step.after}
    if escalation.notification is not None:
        outcome = "notified"
        details["notify"] = escalation.notification.role
        _add_outbox(context, escalation.notification)
    elif escalation.task is not None:
        outcome = "task"
        task = _add_task(context, escalation.occurrence_id, plan_repo.ESCALATION, escalation.task)
        details.update(task=task.id, title=escalation.task.title, role=escalation.task.role)
    else:
        outcome = "skipped" if escalation.skipped else "fired"
        details.update(fire=step.fire, fire_outcome=outcome)
    try:
        plan_repo.add_escalation(context.session, escalation.occurrence_id, step.index,
                                 context.now, outcome)
    except IntegrityError as exc:
        raise _already_open(context.contract.number, plan.plan_id) from exc
    context.recorder.append(_system_entry(context, "plan_escalated", rule, details,
                                          trigger=step.fire))
    _store_moves(context, escalation.moves, step.fire, escalation.skipped, rule)


def _store_closure(context: Context, closure: Closure) -> None:
    plan_repo.close_occurrence(context.session, closure.occurrence_id, context.now,
                               closure.reason, closure.rearm_required)
    cancelled = plan_repo.cancel_open_tasks(context.session, closure.occurrence_id, context.now)
    context.recorder.append(_system_entry(context, "plan_closed", f"plan:{closure.plan.plan_id}", {
        "occurrence": closure.occurrence_id, "plan": closure.plan.plan_id,
        "reason": closure.reason, "cancelled_tasks": cancelled,
        "rearm_required": closure.rearm_required,
    }))


def _store_moves(context: Context, moves: list, trigger: str | None,  # type: ignore[type-arg]
                 skipped: str | None, rule: str) -> None:
    for move in moves:
        context.recorder.append_move(move, context.os_login, None)
    if skipped is not None:
        context.recorder.append(_system_entry(context, "transition_skipped", rule,
                                              {"trigger": trigger}, trigger=trigger,
                                              reason=skipped))


def _add_task(context: Context, occurrence_id: int, kind: str, planned: PlannedTask):  # type: ignore[no-untyped-def]
    return plan_repo.add_plan_task(
        context.session, occurrence_id, kind, contract_id=context.contract.id, kind=kind,
        title_json=jsonutil.dumps(planned.title), role=planned.role, assignee=None,
        source=planned.source, created_at=context.now, due_at=planned.due_at, status="open")


def _add_outbox(context: Context, notification: PlannedNotification) -> None:
    repo.add_outbox(context.session, contract_id=context.contract.id,
                    recipient_role=notification.role, recipient=None,
                    subject_json=jsonutil.dumps(notification.subject),
                    body_json=jsonutil.dumps(notification.body), created_at=context.now,
                    status="pending", attempts=0, next_attempt_at=context.now)


def record_failures(context: Context, failures: list[GuardFailure]) -> bool:
    """Keep the latest guard errors; add a history row when they differ from the stored ones.

    Return True when a history row was added.
    """
    text = failure_text(failures)
    stored = plan_repo.guard_errors_of(context.session, [context.contract.id]).get(
        context.contract.id)
    if text == stored:
        return False
    if text is not None:
        log.warning("plan guards of %s failed: %s", context.contract.number, text,
                    extra={"contract": context.contract.number})
        context.recorder.append(_system_entry(context, "plan_guard_failed", "plans", {
            "failures": [{"plan": f.plan_id, "guard": f.key, "message": f.message}
                         for f in failures]}))
    plan_repo.set_guard_error(context.session, context.contract.id, text, context.now)
    return text is not None


def _already_open(number: str, plan_id: str) -> ConflictError:
    log.info("plan %s on %s was changed by a concurrent transaction", plan_id, number)
    return ConflictError(
        _("Contingency plan {plan} on contract {number} was changed by a concurrent command; "
          "nothing was written. Run the command again.").format(plan=plan_id, number=number)
    )
