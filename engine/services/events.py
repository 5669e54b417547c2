"""Events of a contract: checking their fields, recording them and applying them.

Applying an event appends one history row (kind `event`), recomputes the
obligations it settles, and takes the automatic transitions whose guards then
hold, all in the caller's transaction on one contract.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from engine import jsonutil
from engine.clock import local_text
from engine.definition.model import EventSpec, ProcessDefinition
from engine.errors import BadInputError, ConflictError, RefusedError
from engine.i18n import _
from engine.runtime.moves import ContractSnapshot, run_automatic
from engine.runtime.obligations import money_text
from engine.services import deployed_cache, obligations, plan_engine
from engine.services.contracts import load
from engine.services.identity import Identity
from engine.services.recording import Entry, Recorder
from engine.store import obligation_repo
from engine.store.db import Store
from engine.store.models import Contract, ContractEvent, Obligation

log = logging.getLogger(__name__)

MONEY_TEXT = re.compile(r"^[0-9]+(\.[0-9]+)?$")
INTEGER_TEXT = re.compile(r"^[+-]?[0-9]+$")


@dataclass(frozen=True)
class EventResult:
    """Outcome of recording or applying one event on one contract."""

    number: str
    event: str
    effective_at: datetime
    duplicate: bool
    row_version: int
    moves: tuple[tuple[str, str, str, str], ...]  # (trigger, from, to, actor)
    obligations: dict[str, dict[str, Any]]


def event_spec(definition: ProcessDefinition, event: str) -> EventSpec:
    spec = definition.events.get(event)
    if spec is None:
        raise BadInputError(
            _("Unknown event {event!r} in process {process}. Events it declares: {known}.")
            .format(event=event, process=definition.process_id,
                    known=", ".join(definition.events) or "-"))
    return spec


def parse_field(spec: EventSpec, name: str, raw: str) -> Any:
    """Turn the text of one event field into its stored value, or raise BadInputError."""
    field = spec.fields.get(name)
    if field is None:
        raise BadInputError(
            _("Event {event} has no field {field!r}. Its fields: {known}.").format(
                event=spec.name, field=name, known=", ".join(spec.fields) or "-"))
    text = raw.strip()
    if field.type == "money":
        if not MONEY_TEXT.match(text):
            raise BadInputError(
                _("Invalid value for event field {field}: {value!r} is not an amount of 0 or "
                  "more. Write it like 1250.00.").format(field=name, value=raw))
        return money_text(Decimal(text))
    if field.type == "integer":
        if not INTEGER_TEXT.match(text):
            raise BadInputError(_("Invalid value for event field {field}: {value!r} is not a "
                                  "whole number.").format(field=name, value=raw))
        return int(text)
    if field.type == "date":
        return _iso_date(name, raw)
    return raw


def _iso_date(name: str, raw: str) -> str:
    text = raw.strip()
    try:
        if len(text) == 10:
            return date.fromisoformat(text).isoformat()
    except ValueError:
        pass
    raise BadInputError(_("Invalid value for event field {field}: {value!r} is not a date "
                          "written YYYY-MM-DD.").format(field=name, value=raw))


def parse_fields(spec: EventSpec, assignments: tuple[str, ...] | list[str]) -> dict[str, Any]:
    """Turn FIELD=VALUE pairs into the event's fields and check that required ones are set."""
    fields: dict[str, Any] = {}
    for pair in assignments:
        if "=" not in pair:
            raise BadInputError(_("Invalid value for --set: {pair!r}. Use field=value, for "
                                  "example --set amount=1200.00.").format(pair=pair))
        name, raw = pair.split("=", 1)
        fields[name.strip()] = parse_field(spec, name.strip(), raw)
    missing = missing_fields(spec, fields)
    if missing:
        raise BadInputError(
            _("Event {event} needs the field(s) {fields}. Add --set {first}=VALUE.").format(
                event=spec.name, fields=", ".join(missing), first=missing[0]))
    return fields


def missing_fields(spec: EventSpec, fields: dict[str, Any]) -> list[str]:
    return [name for name, field in spec.fields.items() if field.required and name not in fields]


def record(session: Session, identity: Identity, number: str, event: str, now: datetime,
           at: datetime | None = None, assignments: tuple[str, ...] = (),
           key: str | None = None, reason: str | None = None) -> EventResult:
    """Record an event that happened at `at` (default now) and apply it at once."""
    contract, definition = load(session, number)
    spec = event_spec(definition, event)
    fields = parse_fields(spec, assignments)
    effective_at = at or now
    check_effective_time(session, contract, event, effective_at, now)

    if key is not None:
        existing = obligation_repo.event_by_key(session, contract.id, key)
        if existing is not None:
            return _duplicate(contract, definition, existing, event, fields, effective_at, now)

    row = obligation_repo.add_event(
        session, contract_id=contract.id, event=event, event_key=key, effective_at=effective_at,
        recorded_at=now, fields_json=jsonutil.dumps(fields), status="pending", source="cli",
        actor=identity.actor, os_login=identity.os_login)
    details = {"acting_for_other": True} if identity.for_other else {}
    return apply(session, contract, definition, row, now, reason=reason, details=details)


def check_effective_time(session: Session, contract: Contract, event: str,
                         effective_at: datetime, now: datetime) -> None:
    if contract.voided:
        raise RefusedError(_("Contract {number} is void; no event can be recorded on it.")
                           .format(number=contract.number))
    if effective_at > now:
        raise BadInputError(
            _("Invalid value for --at: {at} is later than the clock ({now}). Record an event "
              "once it has happened.").format(at=local_text(effective_at), now=local_text(now)))
    start = obligation_repo.contract_effective_at(session, contract.id)
    if start is not None and effective_at < start:
        raise BadInputError(
            _("Invalid value for --at: {event} at {at} is before contract {number} took effect "
              "({start}).").format(event=event, at=local_text(effective_at),
                                  number=contract.number, start=local_text(start)))


def _duplicate(contract: Contract, definition: ProcessDefinition, existing: ContractEvent,
               event: str, fields: dict[str, Any], effective_at: datetime,
               now: datetime) -> EventResult:
    same = (existing.event == event and existing.effective_at == effective_at
            and jsonutil.loads(existing.fields_json) == jsonutil.loads(jsonutil.dumps(fields)))
    if not same:
        raise BadInputError(
            _("Event key {key!r} of contract {number} was already used for {event} at {at} "
              "with other values; nothing was recorded. Use another --key.").format(
                key=existing.event_key, number=contract.number, event=existing.event,
                at=local_text(existing.effective_at)))
    return EventResult(contract.number, event, existing.effective_at, True, contract.row_version,
                       (), {})


def snapshot_of(contract: Contract, definition: ProcessDefinition,
                rows: list[Obligation]) -> tuple[ContractSnapshot, dict[str, int]]:
    """Build the snapshot that rules read, and return it with the obligation row ids."""
    snapshot = ContractSnapshot(
        number=contract.number, customer=contract.customer, state=contract.state,
        data=jsonutil.loads(contract.data_json), process_id=definition.process_id,
        process_version=definition.version,
        obligations={row.name: obligations.status_of(row) for row in rows},
    )
    return snapshot, {row.name: row.id for row in rows}


def apply(session: Session, contract: Contract, definition: ProcessDefinition,
          event: ContractEvent, now: datetime, reason: str | None = None,
          details: dict[str, Any] | None = None,
          obligation_rows: list[Obligation] | None = None) -> EventResult:
    """Apply a recorded or pending event to its contract at clock `now`, in this transaction.

    `obligation_rows` are the contract's stored obligations when the caller has
    read them already, together with `contract`. A stale read is safe because the
    commit then fails on the contract's row version with a ConflictError.
    """
    if obligation_rows is None:
        obligation_rows = obligation_repo.obligations_of(session, contract.id)
    snapshot, obligation_ids = snapshot_of(contract, definition, obligation_rows)
    recorder = Recorder(session, contract, definition.process_id, definition.version, now)
    fields = jsonutil.loads(event.fields_json)
    recorder.append(Entry(
        kind="event", actor=event.actor, os_login=event.os_login, trigger=event.event,
        reason=reason, effective_at=event.effective_at,
        details={**(details or {}), "event": event.event, "fields": fields,
                 "key": event.event_key, "source": event.source},
    ))
    event_seq = recorder.seq

    settling = {spec.settled_by for spec in definition.obligations.values()}
    if event.event in settling:
        # Without earlier settlements the new event alone decides; skip reading them back.
        earlier = any(status.settled_amount for status in snapshot.obligations.values())
        applied = obligation_repo.applied_events(session, contract.id, settling) if earlier else []
        snapshot.obligations = obligations.settle(definition, snapshot.obligations,
                                                  [*applied, event])
    data_before = snapshot.data
    moves = run_automatic(definition, snapshot, now)
    for move in moves:
        recorder.append_move(move, event.os_login, None)
    obligations.refresh_terms(definition, snapshot, data_before)
    before_plans = snapshot.data
    plan_engine.evaluate_in_transaction(session, recorder, contract, definition, snapshot, now,
                                        event.os_login, event=event.event)
    obligations.refresh_terms(definition, snapshot, before_plans)
    moves = list(recorder.moves)

    version = recorder.commit(snapshot.state, snapshot.data)
    obligations.save(session, contract.id, obligation_ids, snapshot.obligations, now)
    obligation_repo.mark_event_applied(session, event.id, event_seq)
    return EventResult(
        contract.number, event.event, event.effective_at, False, version,
        tuple((m.transition.trigger, m.from_state, m.to_state, m.actor) for m in moves),
        {name: status.view(now) for name, status in snapshot.obligations.items()},
    )


def apply_pending(session: Session, event_id: int, now: datetime) -> EventResult | None:
    """Apply a pending event at clock `now`; None when another command applied it first."""
    found = obligation_repo.event_with_contract(session, event_id)
    if found is None or found[0].status != "pending":
        return None
    event, contract = found
    return apply(session, contract, deployed_cache.definition_by_id(session, contract.definition_id),
                 event, now)


@dataclass
class BatchResult:
    applied: list[EventResult] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


def apply_pending_batch(store: Store, pending: list[tuple[int, datetime]],
                        clock: Callable[[datetime], datetime]) -> BatchResult:
    """Apply pending events in the given order, each in its own transaction.

    The events, their contracts and obligations are read in one go; `clock` maps an
    event's effective time to the instant it is applied at. A contract that an
    earlier event of the batch changed is read again inside its transaction.
    """
    result = BatchResult()
    with store.read() as session:
        loaded = obligation_repo.pending_with_contracts(session, [event_id for event_id, _ in pending])
        definitions = {contract.definition_id: deployed_cache.definition_by_id(
            session, contract.definition_id) for _event, contract, _rows in loaded.values()}
    touched: set[int] = set()
    for event_id, effective_at in pending:
        try:
            with store.write() as session:
                applied = _apply_loaded(session, loaded.get(event_id), event_id, touched,
                                        definitions, clock(effective_at))
        except (ConflictError, RefusedError) as exc:
            log.warning("event %s not applied: %s", event_id, exc.message)
            result.errors.append(exc.message)
            continue
        if applied is not None:
            result.applied.append(applied)
    return result


def _apply_loaded(session: Session, loaded: tuple[ContractEvent, Contract, list[Obligation]] | None,
                  event_id: int, touched: set[int], definitions: dict[int, ProcessDefinition],
                  now: datetime) -> EventResult | None:
    if loaded is None or loaded[1].id in touched:
        return apply_pending(session, event_id, now)
    event, contract, rows = loaded
    touched.add(contract.id)
    return apply(session, contract, definitions[contract.definition_id], event, now,
                 obligation_rows=rows)
