"""The tick step for contingency plans: evaluate the plans that time can change.

Time changes a plan in three ways. An open plan escalates or closes. A
trigger that reads the clock (`now`, `today`) can start to hold. So can a
trigger over an obligation that is past due, because days_overdue grows daily.
So a tick visits the contracts with an open plan, every active contract of a
process whose triggers read the clock, and the contracts with a past-due
obligation of a process whose triggers read obligations. Triggers over data
alone change only with moves and events, which evaluate plans themselves.

The step first reads the candidates in batches and evaluates them without
writing. Only a contract whose evaluation would store something gets a write
transaction of its own, in which its row is locked, read again and evaluated
again. On PostgreSQL the lock is taken with FOR UPDATE SKIP LOCKED, so several
workers share a tick. A contract locked by someone else is retried at the end
with a waiting lock, and by then it usually has nothing left to do.
"""

from __future__ import annotations

import logging
import weakref
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine.definition.model import ProcessDefinition
from engine.errors import LvyueError
from engine.i18n import _
from engine.runtime.plans import PlanOutcome
from engine.services import obligations, plan_engine, shutdown
from engine.services.identity import os_login
from engine.services.processes import from_row
from engine.services.recording import Recorder
from engine.services.tick_steps import StepReport
from engine.store import plan_repo, repo
from engine.store.db import Store

log = logging.getLogger(__name__)

STEP_NAME = "plans"
CLOCK_ROOTS = frozenset({"now", "today"})
BATCH_SIZE = 500

Scope = dict[int, plan_repo.TickScope]


def plan_step(store: Store, now: datetime) -> StepReport:
    """Evaluate the plans of every contract in the tick's scope at `now`; see the module doc."""
    report = StepReport(STEP_NAME)
    with store.read() as session:
        scope, definitions = _cached_scope(session, store)
    pending = _contracts_to_change(store, now, scope, definitions)
    log.debug("plan tick at %s: %d contracts to change", now.isoformat(), len(pending))

    locked_elsewhere = []
    for contract_id, number in pending:
        if shutdown.stop_requested():
            return report
        if not _change(store, contract_id, number, now, definitions, report, skip_locked=True):
            locked_elsewhere.append((contract_id, number))
    for contract_id, number in locked_elsewhere:
        if shutdown.stop_requested():
            return report
        _change(store, contract_id, number, now, definitions, report, skip_locked=False)
    return report


# By database engine (as in deployed_cache.py), then by the deployed definitions.
_scopes: weakref.WeakKeyDictionary[Engine, dict[tuple[int, int], tuple[Scope, dict[
    int, ProcessDefinition]]]] = weakref.WeakKeyDictionary()


def _cached_scope(session: Session,
                  store: Store) -> tuple[Scope, dict[int, ProcessDefinition]]:
    """Return _scope, computed again only after a deployment (a replay ticks hundreds of times)."""
    cached = _scopes.setdefault(store.engine, {})
    key = plan_repo.definitions_key(session)
    if key not in cached:
        cached[key] = _scope(session)
    return cached[key]


def _scope(session: Session) -> tuple[Scope, dict[int, ProcessDefinition]]:
    """Describe, for each deployed definition with plans, which contracts a tick visits."""
    scope: Scope = {}
    definitions = {}
    for row in repo.list_definitions(session):
        definition = from_row(row)
        if not definition.contingency_plans:
            continue
        definitions[row.id] = definition
        roots = frozenset().union(*(plan.when.roots for plan in
                                    definition.contingency_plans.values() if plan.when))
        finals = tuple(state.name for state in definition.states.values() if state.final)
        scope[row.id] = plan_repo.TickScope(finals, all_active=bool(roots & CLOCK_ROOTS),
                                            obligations_due="obligations" in roots)
    return scope, definitions


def _contracts_to_change(store: Store, now: datetime, scope: Scope,
                         definitions: dict[int, ProcessDefinition]) -> list[tuple[int, str]]:
    """Return (id, number) of the contracts whose evaluation at `now` would store something.

    That includes guard errors that differ from the ones recorded for the contract.
    """
    pending: list[tuple[int, str]] = []
    cursor = 0
    while True:
        with store.read() as session:
            batch = plan_repo.tick_candidates(session, scope, now, cursor, BATCH_SIZE)
            if not batch:
                return pending
            ids = [contract.id for contract in batch]
            rows = plan_repo.plan_rows_of(session, ids)
            errors = plan_repo.guard_errors_of(session, ids)
            owed = plan_repo.obligations_of_contracts(session, ids)
            for contract in batch:
                definition = definitions[contract.definition_id]
                statuses = {row.name: obligations.status_of(row) for row in owed[contract.id]}
                snapshot = plan_engine.snapshot_of(contract, definition, statuses)
                state = plan_engine.state_from_rows(rows[contract.id])
                outcome = plan_engine.preview(definition, snapshot, now, state)
                stored = errors.get(contract.id)
                if outcome.changed or plan_engine.failure_text(outcome.failures) != stored:
                    pending.append((contract.id, contract.number))
        cursor = ids[-1]


def _change(store: Store, contract_id: int, number: str, now: datetime,
            definitions: dict[int, ProcessDefinition], report: StepReport,
            skip_locked: bool) -> bool:
    """Evaluate one contract under its row lock and store the outcome.

    Return False when `skip_locked` is set and another transaction holds the lock.
    A conflict or a refused move is reported, and the next tick tries again.
    """
    try:
        with store.write() as session:
            contract = plan_repo.lock_contract(session, contract_id, skip_locked)
            if contract is None:
                return False
            definition = definitions[contract.definition_id]
            recorder = Recorder(session, contract, definition.process_id, definition.version,
                                now)
            outcome = plan_engine.evaluate_and_commit(session, recorder, contract, definition,
                                                      now, os_login())
    except LvyueError as exc:
        log.warning("plans of %s not evaluated: %s", number, exc.message,
                    extra={"contract": number})
        report.errors.append(f"{number}: {exc.message}")
        return True

    report.changed += int(outcome.changed)
    report.messages += outcome_lines(number, outcome)
    return True


def outcome_lines(number: str, outcome: PlanOutcome) -> list[str]:
    """Describe an evaluation for the tick's output: what closed, opened, escalated and moved."""
    lines = [_("{number}: contingency plan {plan} closed").format(
        number=number, plan=c.plan.plan_id) for c in outcome.closures]
    lines += [_("{number}: contingency plan {plan} opened").format(
        number=number, plan=o.plan.plan_id) for o in outcome.openings]
    lines += [_("{number}: contingency plan {plan} escalated (step {step})").format(
        number=number, plan=e.plan.plan_id, step=e.step.index + 1)
        for e in outcome.escalations]
    lines += [_("{number}: {trigger} {from_state} -> {to_state} (by {actor})").format(
        number=number, trigger=m.transition.trigger, from_state=m.from_state,
        to_state=m.to_state, actor=m.actor) for m in outcome.moves]
    if outcome.recorded_failures:
        lines += [_("{number}: guard {guard} of contingency plan {plan} failed: "
                    "{message}").format(number=number, guard=f.key, plan=f.plan_id,
                                        message=f.message)
                  for f in outcome.failures]
    return lines
