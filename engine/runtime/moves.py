"""Firing triggers on a contract snapshot: role checks, guards, actions, auto moves.

Pure logic over plain values; the services layer loads and saves.
"""

from __future__ import annotations

import copy
import logging
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from engine.clock import add_duration, business_date, iso_utc
from engine.definition.model import (
    NotifyAction,
    ProcessDefinition,
    SetAction,
    TaskAction,
    TransitionSpec,
)
from engine.errors import BadInputError, RefusedError
from engine.expressions import evaluate
from engine.i18n import _
from engine.runtime.machine import machine_for
from engine.runtime.obligations import ObligationStatus
from engine.runtime.obligations import views as obligation_views

log = logging.getLogger(__name__)

MAX_AUTO_MOVES = 10
SYSTEM_ACTOR = "system"


@dataclass
class ContractSnapshot:
    """The parts of a contract that rules read and moves change."""

    number: str
    customer: str
    state: str
    data: dict[str, Any]
    process_id: str
    process_version: int
    obligations: dict[str, ObligationStatus] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannedTask:
    title: dict[str, str]
    role: str
    due_at: datetime | None
    source: str


@dataclass(frozen=True)
class PlannedNotification:
    role: str
    subject: dict[str, str]
    body: dict[str, str]
    source: str


@dataclass
class Move:
    """One transition taken: what history, tasks and the outbox must record."""

    transition: TransitionSpec
    from_state: str
    to_state: str
    actor: str
    role: str | None
    rule: str | None
    data_before: dict[str, Any]
    data_after: dict[str, Any]
    tasks: list[PlannedTask] = field(default_factory=list)
    notifications: list[PlannedNotification] = field(default_factory=list)


def guard_variables(snapshot: ContractSnapshot, now: datetime) -> dict[str, Any]:
    return {
        "data": snapshot.data,
        "contract": {
            "number": snapshot.number,
            "customer": snapshot.customer,
            "state": snapshot.state,
            "process": snapshot.process_id,
            "version": snapshot.process_version,
        },
        "now": iso_utc(now),
        "today": business_date(now).isoformat(),
        "obligations": obligation_views(snapshot.obligations, now),
    }


def choose_role(spec_roles: set[str], held: list[str], requested: str | None,
                actor: str, trigger: str) -> str:
    """Pick the role the actor fires in: --role if given, else the first held role allowed."""
    if requested is not None:
        if requested not in held:
            raise RefusedError(
                _("{actor} does not hold role {role!r} (held: {held}). Pick one of those with "
                  "--role, or update the org file.").format(
                    actor=actor, role=requested, held=", ".join(held) or "-")
            )
        if requested not in spec_roles:
            raise RefusedError(
                _("Role {role!r} may not fire {trigger!r}; allowed roles: {allowed}.").format(
                    role=requested, trigger=trigger, allowed=", ".join(sorted(spec_roles)))
            )
        return requested
    for role in held:
        if role in spec_roles:
            return role
    raise RefusedError(
        _("{actor} may not fire {trigger!r}: it needs one of the roles {allowed}, and "
          "{actor} holds {held}.").format(actor=actor, trigger=trigger,
                                         allowed=", ".join(sorted(spec_roles)),
                                         held=", ".join(held) or "-")
    )


def fire_by_person(definition: ProcessDefinition, snapshot: ContractSnapshot, trigger: str,
                   actor: str, held_roles: list[str], requested_role: str | None,
                   now: datetime) -> list[Move]:
    """Fire `trigger` for a person, then any automatic moves it enables; refuse with a reason."""
    candidates = definition.transitions_for(trigger, snapshot.state)
    if not candidates:
        raise _wrong_state(definition, snapshot, trigger)
    allowed_roles = {role for spec in candidates for role in spec.roles}
    if not allowed_roles:
        raise RefusedError(
            _("{trigger!r} is fired only by the engine (an approval outcome, a plan or an "
              "automatic rule); nobody can fire it by hand.").format(trigger=trigger)
        )
    role = choose_role(allowed_roles, held_roles, requested_role, actor, trigger)
    candidates = [spec for spec in candidates if role in spec.roles]
    move = _decide(definition, snapshot, trigger, actor, role, None, now, candidates)
    return [move, *run_automatic(definition, snapshot, now)]


def fire_by_engine(definition: ProcessDefinition, snapshot: ContractSnapshot, trigger: str,
                   rule: str, now: datetime) -> list[Move]:
    """Fire a trigger that a process rule names, as actor `system` (roles skipped, guards not)."""
    if not definition.transitions_for(trigger, snapshot.state):
        raise _wrong_state(definition, snapshot, trigger)
    move = _decide(definition, snapshot, trigger, SYSTEM_ACTOR, None, rule, now, None)
    return [move, *run_automatic(definition, snapshot, now)]


def run_automatic(definition: ProcessDefinition, snapshot: ContractSnapshot,
                  now: datetime) -> list[Move]:
    """Take `auto: true` transitions whose guards hold, at most MAX_AUTO_MOVES in a chain."""
    moves: list[Move] = []
    for _round in range(MAX_AUTO_MOVES):
        spec = _first_auto(definition, snapshot, now)
        if spec is None:
            return moves
        moves.append(_apply(definition, snapshot, spec, SYSTEM_ACTOR, None,
                            f"auto:{spec.trigger}", now))
    if _first_auto(definition, snapshot, now) is not None:
        log.warning("automatic moves stopped after %d in a row", MAX_AUTO_MOVES,
                    extra={"contract": snapshot.number})
    return moves


def _first_auto(definition: ProcessDefinition, snapshot: ContractSnapshot,
                now: datetime) -> TransitionSpec | None:
    from engine.expressions import evaluate_guard

    variables = guard_variables(snapshot, now)
    for spec in definition.transitions:
        if spec.auto and snapshot.state in spec.sources:
            if spec.guard is None or evaluate_guard(spec.guard, variables):
                return spec
    return None


def _decide(definition: ProcessDefinition, snapshot: ContractSnapshot, trigger: str,
            actor: str, role: str | None, rule: str | None, now: datetime,
            only: list[TransitionSpec] | None) -> Move:
    allowed = tuple(only) if only is not None else None
    decision = machine_for(definition).decide(snapshot.state, trigger,
                                              guard_variables(snapshot, now), allowed)
    chosen = decision.transition
    if chosen is None:
        raise _guard_refusal(trigger, list(decision.failed_guards))
    return _apply(definition, snapshot, chosen, actor, role, rule, now)


def _apply(definition: ProcessDefinition, snapshot: ContractSnapshot, spec: TransitionSpec,
           actor: str, role: str | None, rule: str | None, now: datetime) -> Move:
    before = copy.deepcopy(snapshot.data)
    move = Move(spec, snapshot.state, spec.dest, actor, role, rule, before, before)
    snapshot.state = spec.dest
    variables = guard_variables(snapshot, now)
    data = copy.deepcopy(snapshot.data)
    for action in spec.actions:
        if isinstance(action, SetAction):
            data[action.field] = evaluate(action.expression, variables)
        elif isinstance(action, TaskAction):
            due = add_duration(now, action.due) if action.due else None
            move.tasks.append(PlannedTask(dict(action.title), action.role, due, spec.trigger))
        elif isinstance(action, NotifyAction):
            move.notifications.append(PlannedNotification(
                action.role, dict(action.subject), dict(action.body or {}), spec.trigger))
    snapshot.data = data
    move.data_after = copy.deepcopy(data)
    log.info("move %s: %s -> %s", spec.trigger, move.from_state, move.to_state,
             extra={"contract": snapshot.number, "trigger": spec.trigger,
                    "from_state": move.from_state, "to_state": move.to_state})
    return move


def _wrong_state(definition: ProcessDefinition, snapshot: ContractSnapshot,
                 trigger: str) -> RefusedError | BadInputError:
    allowed = definition.triggers_from(snapshot.state)
    known = {spec.trigger for spec in definition.transitions}
    if trigger not in known:
        return BadInputError(
            _("Unknown trigger {trigger!r} in process {process}. Triggers allowed now "
              "(state {state}): {allowed}.").format(
                trigger=trigger, process=definition.process_id, state=snapshot.state,
                allowed=", ".join(allowed) or _("none")))
    return RefusedError(
        _("{trigger!r} is not allowed in state {state}. Triggers allowed now: {allowed}.")
        .format(trigger=trigger, state=snapshot.state, allowed=", ".join(allowed) or _("none")))


def _guard_refusal(trigger: str, failed: list[TransitionSpec]) -> RefusedError:
    guards = "; ".join(spec.guard.source for spec in failed if spec.guard is not None)
    return RefusedError(
        _("{trigger!r} refused: the guard is false: {guards}. Change the contract data so it "
          "holds (contract fire ... --set field=value) and try again.").format(
            trigger=trigger, guards=guards)
    )
