"""The tick step for contingency plans: evaluate the plans that time can change.

Time changes a plan in two ways: an open plan escalates or closes, and a
trigger that reads the clock (`now`, `today`) can start to hold. So a tick
visits the contracts with an open plan, plus every active contract of a
process whose triggers read the clock. Triggers over data alone change only
with moves and events, which evaluate plans themselves.

Each contract is evaluated in its own transaction, after its row is locked
(FOR UPDATE SKIP LOCKED on PostgreSQL), and gets an evaluation mark at the
tick's instant. Several workers can therefore share one tick, each contract
is evaluated once per instant, and a tick at an earlier instant than the mark
leaves the contract alone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from engine.definition.model import ProcessDefinition
from engine.errors import LvyueError
from engine.i18n import _
from engine.services import plan_engine, shutdown
from engine.services.identity import os_login
from engine.services.processes import from_row
from engine.services.recording import Recorder
from engine.services.tick_steps import StepReport
from engine.store import plan_repo, repo
from engine.store.db import Store

log = logging.getLogger(__name__)

STEP_NAME = "plans"
CLOCK_ROOTS = frozenset({"now", "today"})


@dataclass
class _Claim:
    contract_id: int | None = None
    number: str | None = None


def plan_step(store: Store, now: datetime) -> StepReport:
    """Evaluate the plans of every contract not evaluated at `now` yet; see the module doc.

    The first pass walks the contracts in id order. A second pass from the start
    picks up contracts that someone else had locked or that hit a conflict. A
    contract that fails twice is reported and left for the next tick.
    """
    report = StepReport(STEP_NAME)
    with store.read() as session:
        scope, definitions = _scope(session)
    cursor, passes = 0, 0
    failed: dict[int, int] = {}  # contract id -> failed attempts in this tick
    while not shutdown.stop_requested():
        claim = _Claim()
        try:
            with store.write() as session:
                changed = _evaluate_next(session, now, (scope, definitions), cursor,
                                         list(failed), claim, report)
        except LvyueError as exc:
            if claim.contract_id is None:
                raise
            failed[claim.contract_id] = failed.get(claim.contract_id, 0) + 1
            log.warning("plans of %s not evaluated: %s", claim.number, exc.message,
                        extra={"contract": claim.number})
            report.errors.append(f"{claim.number}: {exc.message}")
            cursor = claim.contract_id
            continue
        if claim.contract_id is None:
            passes += 1
            if passes == 2 or cursor == 0:
                break
            cursor = 0
            failed = {key: count for key, count in failed.items() if count < 2}
            continue
        cursor = claim.contract_id
        report.changed += int(changed)
    return report


Scope = dict[int, plan_repo.TickScope]


def _scope(session: Session) -> tuple[Scope, dict[int, ProcessDefinition]]:
    """Describe, for each deployed definition with plans, which contracts a tick visits."""
    scope: Scope = {}
    definitions = {}
    for row in repo.list_definitions(session):
        definition = from_row(row)
        if not definition.contingency_plans:
            continue
        definitions[row.id] = definition
        reads_clock = any(plan.when is not None and plan.when.roots & CLOCK_ROOTS
                          for plan in definition.contingency_plans.values())
        finals = tuple(state.name for state in definition.states.values() if state.final)
        scope[row.id] = plan_repo.TickScope(finals, all_active=reads_clock)
    return scope, definitions


def _evaluate_next(session: Session, now: datetime,
                   scope: tuple[Scope, dict[int, ProcessDefinition]], cursor: int,
                   skip: list[int], claim: _Claim, report: StepReport) -> bool:
    parts, definitions = scope
    contract = plan_repo.claim_for_evaluation(session, now, parts, cursor, skip)
    if contract is None:
        return False
    claim.contract_id, claim.number = contract.id, contract.number
    definition = definitions[contract.definition_id]
    snapshot = plan_engine.snapshot_of(contract, definition)
    recorder = Recorder(session, contract, definition.process_id, definition.version, now)

    outcome = plan_engine.evaluate_in_transaction(session, recorder, contract, definition,
                                                  snapshot, now, os_login(), from_tick=True)
    if recorder.entries:
        recorder.commit(snapshot.state, snapshot.data)
    report.messages += [_("{number}: contingency plan {plan} opened").format(
        number=contract.number, plan=o.plan.plan_id) for o in outcome.openings]
    report.messages += [_("{number}: contingency plan {plan} escalated (step {step})").format(
        number=contract.number, plan=e.plan.plan_id, step=e.step.index + 1)
        for e in outcome.escalations]
    report.messages += [_("{number}: contingency plan {plan} closed").format(
        number=contract.number, plan=c.plan.plan_id) for c in outcome.closures]
    report.errors += [f"{contract.number}: {f.plan_id}.{f.key}: {f.message}"
                      for f in outcome.failures]
    return outcome.changed
