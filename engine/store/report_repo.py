"""Queries behind the reports: obligations with their contracts, and contracts that
entered a given state."""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.models import Contract, Definition, HistoryRow, Obligation


def obligations_with_contracts(session: Session, process_id: str | None = None
                               ) -> Iterator[tuple[Contract, Obligation]]:
    """Yield every obligation of every contract that is not void, by contract number."""
    query = (select(Contract, Obligation)
             .join(Obligation, Obligation.contract_id == Contract.id)
             .where(Contract.voided.is_(False))
             .order_by(Contract.number, Obligation.id))
    if process_id is not None:
        query = (query.join(Definition, Definition.id == Contract.definition_id)
                 .where(Definition.process_id == process_id))
    yield from ((contract, obligation) for contract, obligation in session.execute(query))


def contracts_ever_in(session: Session, state: str) -> set[int]:
    """Ids of the contracts whose history shows a move into `state`."""
    query = select(HistoryRow.contract_id).where(HistoryRow.to_state == state).distinct()
    return set(session.scalars(query))
