"""Contingency plans at one instant: which open, escalate and close. Pure logic, no SQL.

`evaluate_plans` looks at one contract snapshot and what is already open, and
returns the decisions; the services layer stores them. Plans are evaluated in
file order, and a transition that one plan fires changes the snapshot that the
next plan reads. A plan whose transition is refused still opens, and the
refusal is kept.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from engine.clock import add_duration, business_date, parse_duration
from engine.definition.model import ProcessDefinition
from engine.definition.plan_model import ContingencyPlanSpec, EscalationStep
from engine.errors import RefusedError
from engine.expressions import EvaluationError, Guard, evaluate_guard
from engine.labels import N_, bilingual
from engine.runtime.moves import (
    ContractSnapshot,
    Move,
    PlannedNotification,
    PlannedTask,
    fire_by_engine,
    guard_variables,
)

log = logging.getLogger(__name__)

CLOSED_BY_GUARD = "closes_when"
CLOSED_BY_MEASURES = "measures_done"
CLOSED_BY_CONTRACT_END = "contract_ended"


@dataclass(frozen=True)
class OpenPlan:
    """An open occurrence of a plan on the contract under evaluation."""

    occurrence_id: int
    plan_id: str
    opened_at: datetime
    escalations_done: frozenset[int]
    measures_open: int
    measures_total: int


@dataclass(frozen=True)
class PlanState:
    """The contract's open occurrences by plan id, and the plans waiting to be rearmed.

    A plan is waiting when its last occurrence closed while its trigger still
    held: it opens again only after the trigger has been false once.
    """

    open: Mapping[str, OpenPlan] = field(default_factory=dict)
    rearm_required: frozenset[str] = frozenset()


@dataclass
class Opening:
    plan: ContingencyPlanSpec
    opened_by: str  # "when" or "on:<event>"
    moves: list[Move]
    skipped: str | None  # why plan.fire was not taken, when it was not
    measures: list[PlannedTask]
    notifications: list[PlannedNotification]


@dataclass
class Escalation:
    plan: ContingencyPlanSpec
    occurrence_id: int
    step: EscalationStep
    moves: list[Move] = field(default_factory=list)
    skipped: str | None = None
    task: PlannedTask | None = None
    notification: PlannedNotification | None = None


@dataclass
class Closure:
    plan: ContingencyPlanSpec
    occurrence_id: int
    reason: str
    rearm_required: bool


@dataclass
class GuardFailure:
    plan_id: str
    key: str  # when or closes_when
    message: str


@dataclass
class PlanOutcome:
    """Everything one evaluation decided, in the order it happened."""

    openings: list[Opening] = field(default_factory=list)
    escalations: list[Escalation] = field(default_factory=list)
    closures: list[Closure] = field(default_factory=list)
    failures: list[GuardFailure] = field(default_factory=list)
    rearmed: list[str] = field(default_factory=list)
    recorded_failures: bool = False  # set by the service when the failures were new

    @property
    def changed(self) -> bool:
        return bool(self.openings or self.escalations or self.closures or self.rearmed)

    @property
    def moves(self) -> list[Move]:
        found = [move for opening in self.openings for move in opening.moves]
        return found + [move for step in self.escalations for move in step.moves]


def evaluate_plans(definition: ProcessDefinition, snapshot: ContractSnapshot, now: datetime,
                   state: PlanState, event: str | None = None) -> PlanOutcome:
    """Decide which plans open, escalate and close for `snapshot` at `now`.

    `event` names the event being recorded, for plans with `on:`. Fired
    transitions change `snapshot` in place. A guard that fails to evaluate
    becomes a GuardFailure, and the other plans are still evaluated.
    """
    outcome = PlanOutcome()
    if definition.states[snapshot.state].final:
        outcome.closures = [
            Closure(definition.contingency_plans[open_plan.plan_id], open_plan.occurrence_id,
                    CLOSED_BY_CONTRACT_END, rearm_required=False)
            for open_plan in state.open.values()
            if open_plan.plan_id in definition.contingency_plans
        ]
        return outcome

    for plan in definition.contingency_plans.values():
        open_plan = state.open.get(plan.plan_id)
        if open_plan is not None:
            _evaluate_open(definition, snapshot, now, plan, open_plan, outcome)
            continue
        triggered = _triggered(plan, snapshot, now, event, outcome)
        if triggered is None:
            continue
        if plan.plan_id in state.rearm_required:
            if not triggered:
                outcome.rearmed.append(plan.plan_id)
        elif triggered:
            outcome.openings.append(_open(definition, snapshot, now, plan, event))
    return outcome


def _evaluate_open(definition: ProcessDefinition, snapshot: ContractSnapshot, now: datetime,
                   plan: ContingencyPlanSpec, open_plan: OpenPlan, outcome: PlanOutcome) -> None:
    reason = _closure_reason(plan, open_plan, snapshot, now, outcome)
    if reason is not None:
        holds = bool(plan.when is not None and _triggered(plan, snapshot, now, None, outcome))
        outcome.closures.append(Closure(plan, open_plan.occurrence_id, reason, holds))
        return
    for step in _due_steps(plan, open_plan, now):
        outcome.escalations.append(_escalate(definition, snapshot, now, plan, open_plan, step))


def _triggered(plan: ContingencyPlanSpec, snapshot: ContractSnapshot, now: datetime,
               event: str | None, outcome: PlanOutcome) -> bool | None:
    """Return whether the trigger holds, or None when its guard failed to evaluate."""
    if plan.states and snapshot.state not in plan.states:
        return False
    if plan.on is not None:
        return event == plan.on
    assert plan.when is not None
    return _check(plan, "when", plan.when, snapshot, now, outcome)


def _check(plan: ContingencyPlanSpec, key: str, guard: Guard, snapshot: ContractSnapshot,
           now: datetime, outcome: PlanOutcome) -> bool | None:
    try:
        return evaluate_guard(guard, guard_variables(snapshot, now))
    except EvaluationError as exc:
        # The caller logs and records failures; this runs on every preview too.
        log.debug("plan %s: %s failed on %s: %s", plan.plan_id, key, snapshot.number,
                  exc.message, extra={"contract": snapshot.number, "plan": plan.plan_id})
        outcome.failures.append(GuardFailure(plan.plan_id, key, exc.message))
        return None


def _closure_reason(plan: ContingencyPlanSpec, open_plan: OpenPlan, snapshot: ContractSnapshot,
                    now: datetime, outcome: PlanOutcome) -> str | None:
    if plan.closes_when is not None:
        holds = _check(plan, "closes_when", plan.closes_when, snapshot, now, outcome)
        return CLOSED_BY_GUARD if holds else None
    if open_plan.measures_total and not open_plan.measures_open:
        return CLOSED_BY_MEASURES
    return None


def _open(definition: ProcessDefinition, snapshot: ContractSnapshot, now: datetime,
          plan: ContingencyPlanSpec, event: str | None) -> Opening:
    moves: list[Move] = []
    skipped = None
    if plan.fire is not None:
        moves, skipped = try_fire(definition, snapshot, plan.fire, f"plan:{plan.plan_id}", now)
    source = f"plan:{plan.plan_id}"
    measures = [PlannedTask(dict(m.title), m.role, add_duration(now, m.due or "P0D"), source)
                for m in plan.measures]
    subject = bilingual(N_("Contingency plan opened: {risk} (contract {number})"),
                        risk=plan.risk, number=snapshot.number)
    body = bilingual(N_("Severity {severity}, owner {owner}. {count} measures were created "
                        "as tasks."), severity=plan.severity, owner=plan.owner,
                     count=len(measures))
    notifications = [PlannedNotification(role, subject, body, source)
                     for role in plan.notified_roles]
    opened_by = "when" if plan.on is None else f"on:{plan.on}"
    return Opening(plan, opened_by, moves, skipped, measures, notifications)


def _due_steps(plan: ContingencyPlanSpec, open_plan: OpenPlan,
               now: datetime) -> list[EscalationStep]:
    due = [step for step in plan.escalate if step.index not in open_plan.escalations_done
           and add_duration(open_plan.opened_at, step.after) <= now]
    return sorted(due, key=lambda step: (parse_duration(step.after), step.index))


def _escalate(definition: ProcessDefinition, snapshot: ContractSnapshot, now: datetime,
              plan: ContingencyPlanSpec, open_plan: OpenPlan,
              step: EscalationStep) -> Escalation:
    escalation = Escalation(plan, open_plan.occurrence_id, step)
    scheduled = add_duration(open_plan.opened_at, step.after)
    source = f"plan:{plan.plan_id}"
    if step.notify is not None:
        subject = bilingual(N_("Escalation: {risk} (contract {number})"), risk=plan.risk,
                            number=snapshot.number)
        body = bilingual(N_("Contingency plan {plan} opened on {date} and is still open after "
                            "{after}."), plan=plan.plan_id,
                         date=business_date(open_plan.opened_at).isoformat(), after=step.after)
        escalation.notification = PlannedNotification(step.notify, subject, body, source)
    elif step.task is not None:
        due = add_duration(scheduled, step.task.due) if step.task.due else None
        escalation.task = PlannedTask(dict(step.task.title), step.task.role, due, source)
    elif step.fire is not None:
        rule = f"plan:{plan.plan_id}:escalate:{step.index + 1}"
        escalation.moves, escalation.skipped = try_fire(definition, snapshot, step.fire, rule,
                                                        now)
    return escalation


def try_fire(definition: ProcessDefinition, snapshot: ContractSnapshot, trigger: str,
             rule: str, now: datetime) -> tuple[list[Move], str | None]:
    """Fire `trigger` as the engine; on refusal leave `snapshot` unchanged and return why."""
    trial = copy.deepcopy(snapshot)
    try:
        moves = fire_by_engine(definition, trial, trigger, rule, now)
    except RefusedError as exc:
        log.info("rule %s skipped %s on %s: %s", rule, trigger, snapshot.number, exc.message,
                 extra={"contract": snapshot.number, "trigger": trigger})
        return [], exc.message
    snapshot.__dict__.update(trial.__dict__)
    return moves, None
