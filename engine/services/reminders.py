"""The reminder tick step: notify the `remind_to` roles before and after due dates.

A tick reads the unsettled obligations whose reminder window contains the
business date and decides, without writing, which reminder each needs (see
engine/runtime/reminders.py). It then writes only those contracts, one
transaction each. The contract row is locked (SKIP LOCKED first, then a
waiting retry) and the decision is made again on fresh rows. A unique key per
(contract, obligation, due date, offset) keeps every reminder to one sending.
"""

from __future__ import annotations

import logging
import weakref
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import jsonutil
from engine.clock import business_date, iso_utc, parse_duration
from engine.definition.model import ObligationSpec, ProcessDefinition
from engine.errors import ConflictError, LvyueError
from engine.i18n import _
from engine.labels import N_, bilingual
from engine.runtime.moves import SYSTEM_ACTOR
from engine.runtime.obligations import ObligationStatus
from engine.runtime.reminders import ReminderDecision, due_reminder, reminder_window_days
from engine.services import obligations, shutdown
from engine.services.identity import os_login
from engine.services.processes import from_row
from engine.services.recording import Entry, Recorder
from engine.services.tick_steps import StepReport
from engine.store import plan_repo, reminder_repo, repo
from engine.store.db import Store
from engine.store.models import Contract, Obligation
from engine.store.reminder_repo import ReminderKey, ReminderScope

log = logging.getLogger(__name__)

STEP_NAME = "reminders"
BATCH_SIZE = 500


@dataclass(frozen=True)
class _Scope:
    parts: dict[int, ReminderScope]
    definitions: dict[int, ProcessDefinition]


def reminder_step(store: Store, now: datetime) -> StepReport:
    """Send the reminders due at `now`; see the module doc."""
    report = StepReport(STEP_NAME)
    with store.read() as session:
        cached = _scopes.setdefault(store.engine, {})
        key = plan_repo.definitions_key(session)
        if key not in cached:
            cached[key] = _scope(session)
        scope = cached[key]
    pending = _contracts_to_remind(store, now, scope)

    locked_elsewhere = []
    for contract_id in pending:
        if shutdown.stop_requested():
            return report
        if not _remind(store, contract_id, now, scope, report, skip_locked=True):
            locked_elsewhere.append(contract_id)
    for contract_id in locked_elsewhere:
        if shutdown.stop_requested():
            return report
        _remind(store, contract_id, now, scope, report, skip_locked=False)
    return report


# Scopes by database engine (as in deployed_cache.py), then by the deployed definitions,
# which deployments only add to.
_scopes: weakref.WeakKeyDictionary[Engine, dict[tuple[int, int], _Scope]] = (
    weakref.WeakKeyDictionary())


def _scope(session: Session) -> _Scope:
    parts: dict[int, ReminderScope] = {}
    definitions = {}
    for row in repo.list_definitions(session):
        definition = from_row(row)
        specs = [spec for spec in definition.obligations.values() if spec.remind]
        if not specs:
            continue
        windows = [reminder_window_days(spec) for spec in specs]
        finals = tuple(state.name for state in definition.states.values() if state.final)
        parts[row.id] = ReminderScope(tuple(spec.name for spec in specs),
                                      max(before for before, _after in windows),
                                      max(after for _before, after in windows), finals)
        definitions[row.id] = definition
    return _Scope(parts, definitions)


def _decide(definition: ProcessDefinition, contract: Contract, rows: list[Obligation],
            done: dict[ReminderKey, set[str]], now: datetime) -> list[ReminderDecision]:
    decisions = []
    for row in rows:
        spec = definition.obligations.get(row.name)
        if spec is None or not spec.remind:
            continue
        status = obligations.status_of(row)
        offsets = frozenset(done.get((contract.id, row.name, row.due_on), set()))
        decision = due_reminder(spec, status, now, offsets)
        if decision is not None:
            decisions.append(decision)
    return decisions


def _contracts_to_remind(store: Store, now: datetime, scope: _Scope) -> list[int]:
    pending: dict[int, None] = {}
    cursor = 0
    today = business_date(now)
    while True:
        with store.read() as session:
            batch = reminder_repo.candidates(session, scope.parts, today, cursor, BATCH_SIZE)
            if not batch:
                return list(pending)
            keys = [(contract.id, row.name, row.due_on) for contract, row in batch]
            done = reminder_repo.done_offsets(session, keys)
            for contract, row in batch:
                definition = scope.definitions[contract.definition_id]
                if _decide(definition, contract, [row], done, now):
                    pending.setdefault(contract.id)
        cursor = batch[-1][1].id


def _remind(store: Store, contract_id: int, now: datetime, scope: _Scope, report: StepReport,
            skip_locked: bool) -> bool:
    """Send one contract's due reminders in one transaction; False when its row was locked."""
    number = f"#{contract_id}"
    try:
        with store.write() as session:
            contract = plan_repo.lock_contract(session, contract_id, skip_locked)
            if contract is None:
                return False
            number = contract.number
            definition = scope.definitions[contract.definition_id]
            rows = plan_repo.obligations_of_contracts(session, [contract.id])[contract.id]
            done = reminder_repo.done_offsets(
                session, [(contract.id, row.name, row.due_on) for row in rows])
            decisions = _decide(definition, contract, rows, done, now)
            if decisions:
                _record(session, contract, definition, rows, decisions, now)
            due_dates = {row.name: row.due_on.isoformat() for row in rows}
    except LvyueError as exc:
        log.warning("reminders of %s not sent: %s", number, exc.message,
                    extra={"contract": number})
        report.errors.append(f"{number}: {exc.message}")
        return True

    report.changed += int(bool(decisions))
    report.messages += [_("{number}: reminder {offset} for obligation {obligation} due on "
                          "{due}").format(number=number, offset=d.send, obligation=d.obligation,
                                          due=due_dates[d.obligation])
                        for d in decisions]
    return True


def _record(session: Session, contract: Contract, definition: ProcessDefinition,
            rows: list[Obligation], decisions: list[ReminderDecision], now: datetime) -> None:
    recorder = Recorder(session, contract, definition.process_id, definition.version, now)
    login = os_login()
    by_name = {row.name: row for row in rows}
    for decision in decisions:
        row = by_name[decision.obligation]
        spec = definition.obligations[decision.obligation]
        status = obligations.status_of(row)
        key = (contract.id, row.name, row.due_on)
        try:
            reminder_repo.add_reminder(session, key, decision.send, "sent", now)
            for offset in decision.skipped:
                reminder_repo.add_reminder(session, key, offset, "skipped", now)
        except IntegrityError as exc:
            raise ConflictError(_("A reminder of contract {number} was sent by a concurrent "
                                  "command; nothing was written.").format(
                number=contract.number)) from exc
        recorder.append(Entry(
            kind="reminder", actor=SYSTEM_ACTOR, os_login=login,
            rule=f"remind:{decision.obligation}:{decision.send}",
            details={"obligation": decision.obligation, "offset": decision.send,
                     "due": row.due_on.isoformat(), "outstanding": str(status.outstanding),
                     "skipped": list(decision.skipped), "notified": list(spec.remind_to),
                     "due_instant": iso_utc(decision.instant)},
        ))
        _queue(session, contract, spec, status, decision, now)
    recorder.commit(contract.state, jsonutil.loads(contract.data_json))


def _queue(session: Session, contract: Contract, spec: ObligationSpec,
           status: ObligationStatus, decision: ReminderDecision, now: datetime) -> None:
    if parse_duration(decision.send).total_seconds() <= 0:
        subject = bilingual(N_("Reminder: {obligation} of contract {number} is due on {due}"),
                            obligation=spec.label, number=contract.number,
                            due=status.due.isoformat())
    else:
        subject = bilingual(N_("Reminder: {obligation} of contract {number} was due on {due} "
                               "and is not settled"), obligation=spec.label,
                            number=contract.number, due=status.due.isoformat())
    body = bilingual(N_("Outstanding amount: {outstanding} (of {amount}). Customer: "
                        "{customer}."), outstanding=str(status.outstanding),
                     amount=str(status.amount), customer=contract.customer)
    for role in spec.remind_to:
        repo.add_outbox(session, contract_id=contract.id, recipient_role=role, recipient=None,
                        subject_json=jsonutil.dumps(subject), body_json=jsonutil.dumps(body),
                        created_at=now, status="pending", attempts=0, next_attempt_at=now)
