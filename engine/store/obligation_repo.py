"""Queries and writes for obligations, contract events and the clock marks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.store.models import (
    ClockMark,
    Contract,
    ContractEvent,
    Definition,
    HistoryRow,
    Obligation,
)

# Parameters per IN (...) list; SQLite allows 32,766 and PostgreSQL 65,535 per statement.
IN_CHUNK = 500

_OBLIGATIONS = cast(Table, Obligation.__table__)
_EVENTS = cast(Table, ContractEvent.__table__)
_UPDATE_OBLIGATION = (
    update(_OBLIGATIONS).where(_OBLIGATIONS.c.id == bindparam("obligation_id"))
    .values({name: bindparam(name) for name in (
        "kind", "amount", "due_on", "settled_amount", "settled_at", "overdue_at",
        "next_check_at")})
)
_INSERT_OBLIGATION = insert(_OBLIGATIONS)
_INSERT_EVENT = insert(_EVENTS).returning(_EVENTS.c.id)
_MARK_EVENT_APPLIED = (
    update(_EVENTS).where(_EVENTS.c.id == bindparam("event_id"))
    .values(status="applied", history_seq=bindparam("history_seq"))
)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


# --- obligations ---------------------------------------------------------------


def obligations_of(session: Session, contract_id: int) -> list[Obligation]:
    return list(session.scalars(select(Obligation).where(Obligation.contract_id == contract_id)
                                .order_by(Obligation.id)))


def add_obligation(session: Session, **values: Any) -> None:
    session.connection().execute(_INSERT_OBLIGATION, values)


def update_obligation(session: Session, obligation_id: int, values: dict[str, Any]) -> None:
    """UPDATE every stored field of one obligation by id.

    A prepared Core statement, because ticks and replays save many obligations one
    transaction at a time; loaded Obligation objects are not refreshed.
    """
    session.connection().execute(_UPDATE_OBLIGATION, {**values, "obligation_id": obligation_id})


def clear_next_checks(session: Session, obligation_ids: Sequence[int]) -> None:
    """Take obligations out of every future tick (next_check_at NULL)."""
    for chunk in _chunks(list(obligation_ids)):
        session.connection().execute(update(_OBLIGATIONS).where(_OBLIGATIONS.c.id.in_(chunk))
                                     .values(next_check_at=None))


def due_for_check(session: Session, now: datetime) -> list[tuple[Contract, list[Obligation]]]:
    """Contracts with an obligation whose next check is at or before `now`, each with all
    of its obligations, in contract id order (one query)."""
    due = (select(Obligation.contract_id)
           .where(Obligation.next_check_at <= now).distinct().scalar_subquery())
    query = (select(Contract, Obligation)
             .join(Obligation, Obligation.contract_id == Contract.id)
             .where(Contract.id.in_(due), Contract.voided.is_(False))
             .order_by(Contract.id, Obligation.id))
    found: dict[int, tuple[Contract, list[Obligation]]] = {}
    for contract, obligation in session.execute(query):
        found.setdefault(contract.id, (contract, []))[1].append(obligation)
    return list(found.values())


# --- contracts and definitions, read in batches ----------------------------------


def contracts_by_external_refs(session: Session, refs: Sequence[str]) -> dict[str, Contract]:
    found: dict[str, Contract] = {}
    for chunk in _chunks(list(refs)):
        for contract in session.scalars(select(Contract).where(Contract.external_ref.in_(chunk))):
            assert contract.external_ref is not None
            found[contract.external_ref] = contract
    return found


def definitions_by_ids(session: Session, definition_ids: Iterable[int]) -> dict[int, Definition]:
    ids = sorted(set(definition_ids))
    found: dict[int, Definition] = {}
    for chunk in _chunks(ids):
        for row in session.scalars(select(Definition).where(Definition.id.in_(chunk))):
            found[row.id] = row
    return found


def contract_effective_at(session: Session, contract_id: int) -> datetime | None:
    """When the contract took effect: the effective time of its first history row."""
    query = (select(HistoryRow.effective_at)
             .where(HistoryRow.contract_id == contract_id, HistoryRow.seq == 1))
    return session.scalar(query)


def effective_times(session: Session, contract_ids: Sequence[int]) -> dict[int, datetime]:
    found: dict[int, datetime] = {}
    for chunk in _chunks(list(contract_ids)):
        query = (select(HistoryRow.contract_id, HistoryRow.effective_at)
                 .where(HistoryRow.contract_id.in_(chunk), HistoryRow.seq == 1))
        for contract_id, effective_at in session.execute(query):
            found[contract_id] = effective_at
    return found


# --- contract events -------------------------------------------------------------


def add_event(session: Session, **values: Any) -> ContractEvent:
    event = ContractEvent(**values)
    session.add(event)
    session.flush()
    return event


def insert_event(session: Session, **values: Any) -> int:
    """INSERT one event at once and return its id (a Core statement, for imports)."""
    return int(session.connection().execute(_INSERT_EVENT, values).scalar_one())


def event_with_contract(session: Session, event_id: int) -> tuple[ContractEvent, Contract] | None:
    query = (select(ContractEvent, Contract).join(Contract, Contract.id == ContractEvent.contract_id)
             .where(ContractEvent.id == event_id))
    row = session.execute(query).first()
    return None if row is None else (row[0], row[1])


def event_by_key(session: Session, contract_id: int, key: str) -> ContractEvent | None:
    query = select(ContractEvent).where(ContractEvent.contract_id == contract_id,
                                        ContractEvent.event_key == key)
    return session.scalars(query).first()


def events_by_keys(session: Session, contract_ids: Sequence[int]) -> dict[tuple[int, str], ContractEvent]:
    """Return every keyed event of the given contracts, by (contract id, event key)."""
    found: dict[tuple[int, str], ContractEvent] = {}
    for chunk in _chunks(list(contract_ids)):
        query = select(ContractEvent).where(ContractEvent.contract_id.in_(chunk),
                                            ContractEvent.event_key.is_not(None))
        for event in session.scalars(query):
            assert event.event_key is not None
            found[(event.contract_id, event.event_key)] = event
    return found


def pending_with_contracts(
    session: Session, event_ids: Sequence[int]
) -> dict[int, tuple[ContractEvent, Contract, list[Obligation]]]:
    """Pending events by id, each with its contract and the contract's obligations."""
    found: dict[int, tuple[ContractEvent, Contract, list[Obligation]]] = {}
    by_contract: dict[int, list[Obligation]] = {}
    for chunk in _chunks(list(event_ids)):
        query = (select(ContractEvent, Contract, Obligation)
                 .join(Contract, Contract.id == ContractEvent.contract_id)
                 .outerjoin(Obligation, Obligation.contract_id == Contract.id)
                 .where(ContractEvent.id.in_(chunk), ContractEvent.status == "pending")
                 .order_by(ContractEvent.id, Obligation.id))
        for event, contract, obligation in session.execute(query):
            rows = by_contract.setdefault(contract.id, [])
            found.setdefault(event.id, (event, contract, rows))
            if obligation is not None and obligation not in rows:
                rows.append(obligation)
    return found


def applied_events(session: Session, contract_id: int, names: Iterable[str]) -> list[ContractEvent]:
    query = (select(ContractEvent)
             .where(ContractEvent.contract_id == contract_id, ContractEvent.status == "applied",
                    ContractEvent.event.in_(list(names)))
             .order_by(ContractEvent.effective_at, ContractEvent.id))
    return list(session.scalars(query))


def mark_event_applied(session: Session, event_id: int, history_seq: int) -> None:
    session.connection().execute(_MARK_EVENT_APPLIED,
                                 {"event_id": event_id, "history_seq": history_seq})


def pending_events(session: Session, before: datetime,
                   since: datetime | None = None) -> list[tuple[int, datetime]]:
    """(id, effective time) of pending events effective before `before` (and at or after
    `since` when given), in the order they took effect."""
    query = select(ContractEvent.id, ContractEvent.effective_at).where(
        ContractEvent.status == "pending", ContractEvent.effective_at < before)
    if since is not None:
        query = query.where(ContractEvent.effective_at >= since)
    query = query.order_by(ContractEvent.effective_at, ContractEvent.id)
    return [(event_id, effective_at) for event_id, effective_at in session.execute(query)]


# --- clock marks -----------------------------------------------------------------


def clock_mark(session: Session, name: str) -> datetime | None:
    row = session.get(ClockMark, name)
    return row.instant if row else None


def advance_clock_mark(session: Session, name: str, instant: datetime) -> None:
    """Set the mark to `instant` unless it is already later (the clock never goes back)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = insert(ClockMark).values(name=name, instant=instant)
    statement = statement.on_conflict_do_update(
        index_elements=[ClockMark.name],
        set_={"instant": instant},
        where=ClockMark.instant < instant,
    )
    session.execute(statement)
