"""Comparing valid import rows with the store, then writing what is new.

A row whose key is unknown creates a contract. A known row that is unchanged is
skipped, and one whose content changed is reported and left as it is. Events are
de-duplicated by their key, so importing a file again adds only the events it did
not carry before.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import jsonutil
from engine.clock import local_text
from engine.definition.model import ProcessDefinition
from engine.i18n import _
from engine.services import contracts, events
from engine.services.identity import Identity
from engine.services.importing.mapping import ImportMapping
from engine.services.importing.rows import ImportEvent, ImportRow
from engine.store import obligation_repo
from engine.store.db import Store
from engine.store.models import Contract, ContractEvent, Definition


@dataclass
class ChangedRow:
    """A row whose contract exists with other content; it is reported, not written."""

    line: int
    key: str
    number: str
    differences: list[str]


@dataclass
class Plan:
    new: list[ImportRow] = field(default_factory=list)
    new_events: list[tuple[int, ImportRow, list[ImportEvent]]] = field(default_factory=list)
    unchanged: int = 0
    changed: list[ChangedRow] = field(default_factory=list)


@dataclass
class WriteResult:
    created: list[tuple[str, str]] = field(default_factory=list)  # (key, contract number)
    events_added: int = 0
    events_applied: int = 0
    errors: list[str] = field(default_factory=list)  # events that could not be applied


def plan_import(session: Session, rows: list[ImportRow], mapping: ImportMapping) -> Plan:
    """Sort rows into new contracts, new events of known contracts, unchanged and changed."""
    existing = obligation_repo.contracts_by_external_refs(session, [row.key for row in rows])
    ids = [contract.id for contract in existing.values()]
    known_events = obligation_repo.events_by_keys(session, ids)
    starts = obligation_repo.effective_times(session, ids)
    processes = {key: row.process_id for key, row in obligation_repo.definitions_by_ids(
        session, {contract.definition_id for contract in existing.values()}).items()}

    plan = Plan()
    for row in rows:
        contract = existing.get(row.key)
        if contract is None:
            plan.new.append(row)
            continue
        differences = _differences(contract, processes[contract.definition_id],
                                   starts.get(contract.id), row, known_events, mapping)
        missing = [event for event in row.events
                   if (contract.id, event.key) not in known_events]
        if differences:
            plan.changed.append(ChangedRow(row.line, row.key, contract.number, differences))
        elif missing:
            plan.new_events.append((contract.id, row, missing))
        else:
            plan.unchanged += 1
    return plan


def _differences(contract: Contract, process_id: str, start: datetime | None, row: ImportRow,
                 known_events: dict[tuple[int, str], ContractEvent],
                 mapping: ImportMapping) -> list[str]:
    found = []
    if process_id != mapping.process_id:
        found.append(_("process: {old} -> {new}").format(old=process_id, new=mapping.process_id))
    if contract.customer != row.customer:
        found.append(_("customer: {old} -> {new}").format(old=contract.customer, new=row.customer))
    if start is not None and start != row.effective_at:
        found.append(_("effective date: {old} -> {new}").format(
            old=local_text(start), new=local_text(row.effective_at)))
    data = jsonutil.loads(contract.data_json)
    for name in mapping.fields:
        if data.get(name) != row.data.get(name):
            found.append(f"{name}: {_show(data.get(name))} -> {_show(row.data.get(name))}")
    for event in row.events:
        stored = known_events.get((contract.id, event.key))
        if stored is None:
            continue
        stored_fields = jsonutil.loads(stored.fields_json)
        if stored.effective_at != event.effective_at or stored_fields != event.fields:
            found.append(f"{event.event}: {local_text(stored.effective_at)} "
                         f"{_show(stored_fields)} -> {local_text(event.effective_at)} "
                         f"{_show(event.fields)}")
    return found


def _show(value: Any) -> str:
    return "-" if value is None else jsonutil.dumps(value)


def write_plan(store: Store, identity: Identity, plan: Plan,
               version: tuple[Definition, ProcessDefinition], now: datetime,
               progress: Callable[[int], None] | None = None) -> WriteResult:
    """Create the new contracts (in order of effective date) and add the new events.

    Each contract is created in its own transaction together with its pending
    events. Events the clock (the last tick) has already passed are applied right
    after, each in its own transaction, as back-dated events.
    """
    definition = version[1]
    with store.read() as session:
        clock = obligation_repo.clock_mark(session, "tick")
    result = WriteResult()
    to_apply: list[tuple[int, datetime]] = []
    for row in sorted(plan.new, key=lambda r: (r.effective_at, r.line)):
        with store.write() as session:
            created = contracts.create(session, identity, definition.process_id, row.customer,
                                       dict(row.data), now, external_ref=row.key,
                                       effective_at=row.effective_at, version=version)
            assert created.contract_id is not None
            to_apply += _add_events(session, created.contract_id, identity, row.events, now,
                                    clock)
        result.created.append((row.key, created.number))
        result.events_added += len(row.events)
        if progress is not None:
            progress(1)
    for contract_id, row, missing in plan.new_events:
        with store.write() as session:
            to_apply += _add_events(session, contract_id, identity, missing, now, clock)
        result.events_added += len(missing)
        if progress is not None:
            progress(1)
    applied = events.apply_pending_batch(store, to_apply, lambda _effective_at: now)
    result.events_applied = len(applied.applied)
    result.errors = applied.errors
    return result


def _add_events(session: Session, contract_id: int, identity: Identity,
                new_events: list[ImportEvent], now: datetime,
                clock: datetime | None) -> list[tuple[int, datetime]]:
    """Store events as pending; return (id, effective time) of those the clock has passed."""
    passed = []
    for event in new_events:
        event_id = obligation_repo.insert_event(
            session, contract_id=contract_id, event=event.event, event_key=event.key,
            effective_at=event.effective_at, recorded_at=now,
            fields_json=jsonutil.dumps(event.fields), status="pending", source="import",
            actor=identity.actor, os_login=identity.os_login)
        if clock is not None and event.effective_at <= clock:
            passed.append((event_id, event.effective_at))
    return passed
