"""Tick steps of obligations: apply events whose time has come, then check what is due.

`check_obligations` reads only contracts with an obligation whose `next_check_at`
has passed (unsettled obligations past their due date), marks newly overdue
obligations, and takes the automatic transitions whose guards now hold. Each
contract that changes gets its own transaction.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import jsonutil
from engine.definition.model import ProcessDefinition
from engine.errors import ConflictError, RefusedError
from engine.i18n import _
from engine.runtime.moves import SYSTEM_ACTOR, ContractSnapshot, Move, run_automatic
from engine.runtime.obligations import ObligationStatus
from engine.services import deployed_cache, events, obligations
from engine.services.identity import os_login
from engine.services.recording import Entry, Recorder
from engine.services.tick_steps import StepReport
from engine.store import obligation_repo, plan_repo
from engine.store.db import Store
from engine.store.models import Contract, Obligation

log = logging.getLogger(__name__)


def apply_due_events(store: Store, now: datetime) -> StepReport:
    """Apply pending (imported) events that took effect before `now`, oldest first."""
    report = StepReport("events")
    with store.read() as session:
        pending = obligation_repo.pending_events(session, before=now)
    if not pending:
        return report
    result = events.apply_pending_batch(store, pending, lambda _effective_at: now)
    report.changed = len(result.applied)
    report.errors.extend(result.errors)
    for applied in result.applied:
        report.messages.extend(move_lines(applied.number, applied.moves))
    return report


def move_lines(number: str, moves: tuple[tuple[str, str, str, str], ...]) -> list[str]:
    return [_("{number}: {trigger} {from_state} -> {to_state} (by {actor})").format(
        number=number, trigger=trigger, from_state=from_state, to_state=to_state, actor=actor)
        for trigger, from_state, to_state, actor in moves]


def check_obligations(store: Store, now: datetime) -> StepReport:
    """Mark obligations overdue and fire automatic transitions on contracts that are due.

    NOTE: only contracts with an unsettled obligation past its due date are checked,
    so an automatic transition whose guard reads only `today` or `now` is not fired
    by a tick; it fires at the contract's next move or event.
    """
    report = StepReport("obligations")
    with store.read() as session:
        due = obligation_repo.due_for_check(session, now)
        definitions = {contract.definition_id: deployed_cache.definition_by_id(
            session, contract.definition_id) for contract, _rows in due}
    finished: list[int] = []
    for contract, rows in due:
        definition = definitions[contract.definition_id]
        _check_contract(store, contract, definition, rows, now, report)
        if definition.states[contract.state].final:
            finished.extend(row.id for row in rows if row.overdue_at is not None)
    if finished:
        # A contract in a final state never moves again, so once its obligations carry
        # their overdue mark no tick needs to look at them.
        with store.write() as session:
            obligation_repo.clear_next_checks(session, finished)
    return report


def _check_contract(store: Store, contract: Contract, definition: ProcessDefinition,
                    rows: list[Obligation], now: datetime, report: StepReport) -> None:
    """Mark the contract's newly overdue obligations and take its automatic transitions."""
    statuses = {row.name: obligations.status_of(row) for row in rows}
    marks = [name for name, status in statuses.items() if status.needs_overdue_mark(now)]
    for name in marks:
        statuses[name] = replace(statuses[name], overdue_at=now)

    snapshot = ContractSnapshot(
        number=contract.number, customer=contract.customer, state=contract.state,
        data=jsonutil.loads(contract.data_json), process_id=definition.process_id,
        process_version=definition.version, obligations=statuses,
    )
    data_before = snapshot.data
    try:
        moves = run_automatic(definition, snapshot, now)
    except RefusedError as exc:
        log.warning("automatic transitions of %s failed: %s", contract.number, exc.message)
        report.errors.append(f"{contract.number}: {exc.message}")
        moves = []
    if not marks and not moves:
        return

    try:
        with store.write() as session:
            # Several workers share a tick: the one holding the row lock (FOR UPDATE SKIP
            # LOCKED on PostgreSQL) checks the contract, and the others leave it alone.
            current = plan_repo.lock_contract(session, contract.id, skip_locked=True)
            if current is None or current.row_version != contract.row_version:
                return
            _record(session, contract, definition, snapshot, data_before, marks, moves, now,
                    {row.name: row.id for row in rows})
    except ConflictError as exc:
        report.errors.append(f"{contract.number}: {exc.message}")
        return  # the next tick checks the contract again
    report.changed += 1
    for name in marks:
        report.messages.append(_("{number}: obligation {obligation} is overdue (due {due}).")
                               .format(number=contract.number, obligation=name,
                                       due=statuses[name].due.isoformat()))
    report.messages.extend(move_lines(contract.number, tuple(
        (m.transition.trigger, m.from_state, m.to_state, m.actor) for m in moves)))


def _record(session: Session, contract: Contract, definition: ProcessDefinition,
            snapshot: ContractSnapshot, data_before: dict[str, Any], marks: list[str],
            moves: list[Move], now: datetime, obligation_ids: dict[str, int]) -> None:
    login = os_login()
    recorder = Recorder(session, contract, definition.process_id, definition.version, now)
    for name in marks:
        status: ObligationStatus = snapshot.obligations[name]
        recorder.append(Entry(
            kind="obligation", actor=SYSTEM_ACTOR, os_login=login, rule=f"overdue:{name}",
            effective_at=status.overdue_from(),
            details={"obligation": name, "overdue": True, "due": status.due.isoformat(),
                     "outstanding": str(status.outstanding)},
        ))
    for move in moves:
        recorder.append_move(move, login, None)
    obligations.refresh_terms(definition, snapshot, data_before)
    recorder.commit(snapshot.state, snapshot.data)
    obligations.save(session, contract.id, obligation_ids, snapshot.obligations, now)
