"""Obligations of one contract: computing their terms from data, loading and saving them."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from engine import jsonutil
from engine.definition.model import ObligationSpec, ProcessDefinition
from engine.expression_functions import describe_value
from engine.expressions import EvaluationError, evaluate
from engine.i18n import _
from engine.runtime.moves import ContractSnapshot
from engine.runtime.obligations import (
    ObligationStatus,
    Settlement,
    apply_settlements,
    next_check_at,
)
from engine.store import obligation_repo
from engine.store.models import ContractEvent, Obligation

_AMOUNT_TEXT = re.compile(r"^[0-9]+(\.[0-9]+)?$")


def terms(spec: ObligationSpec, snapshot: ContractSnapshot) -> tuple[Decimal, date]:
    """Compute the amount and due date of an obligation from the contract's data.

    Raises EvaluationError (the move is refused) when an expression fails or gives
    something other than an amount of 0 or more and a YYYY-MM-DD date.
    """
    variables = {
        "data": snapshot.data,
        "contract": {"number": snapshot.number, "customer": snapshot.customer,
                     "state": snapshot.state, "process": snapshot.process_id,
                     "version": snapshot.process_version},
    }
    amount_value = evaluate(spec.amount, variables)
    due_value = evaluate(spec.due, variables)
    return _amount(spec, amount_value), _due(spec, due_value)


def _is_amount(value: Any) -> bool:
    """True for a decimal string such as "1250.00" or a whole number, 0 or more."""
    if isinstance(value, str):
        return _AMOUNT_TEXT.match(value) is not None
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _amount(spec: ObligationSpec, value: Any) -> Decimal:
    if not _is_amount(value):
        raise EvaluationError(
            _("the amount of obligation '{obligation}' is {value}, not an amount of 0 or more. "
              "Fix '{source}' or the contract data it reads.").format(
                obligation=spec.name, value=describe_value(value), source=spec.amount.source),
            spec.amount.source)
    return Decimal(value)


def _due(spec: ObligationSpec, value: Any) -> date:
    try:
        if isinstance(value, str) and len(value) == 10:
            return date.fromisoformat(value)
    except ValueError:
        pass
    raise EvaluationError(
        _("the due date of obligation '{obligation}' is {value}, not a date written "
          "YYYY-MM-DD. Fix '{source}' or the contract data it reads.").format(
            obligation=spec.name, value=describe_value(value), source=spec.due.source),
        spec.due.source)


def initial_statuses(definition: ProcessDefinition,
                     snapshot: ContractSnapshot) -> dict[str, ObligationStatus]:
    """Build the obligations of a new contract: nothing settled, nothing overdue."""
    statuses = {}
    for spec in definition.obligations.values():
        amount, due = terms(spec, snapshot)
        statuses[spec.name] = ObligationStatus(spec.name, spec.kind, amount, due)
    return statuses


def with_new_terms(definition: ProcessDefinition,
                   snapshot: ContractSnapshot) -> dict[str, ObligationStatus]:
    """Return the snapshot's obligations with amounts and due dates recomputed from its data."""
    statuses = {}
    for spec in definition.obligations.values():
        amount, due = terms(spec, snapshot)
        current = snapshot.obligations.get(spec.name)
        if current is None:
            statuses[spec.name] = ObligationStatus(spec.name, spec.kind, amount, due)
        else:
            statuses[spec.name] = replace(current, amount=amount, due=due)
    return statuses


def refresh_terms(definition: ProcessDefinition, snapshot: ContractSnapshot,
                  data_before: dict[str, Any]) -> None:
    """Recompute amounts and due dates when moves changed the data since `data_before`."""
    if definition.obligations and snapshot.data != data_before:
        snapshot.obligations = with_new_terms(definition, snapshot)


def status_of(row: Obligation) -> ObligationStatus:
    return ObligationStatus(
        name=row.name, kind=row.kind, amount=Decimal(row.amount), due=row.due_on,
        settled_amount=Decimal(row.settled_amount), settled_at=row.settled_at,
        overdue_at=row.overdue_at,
    )


def load(session: Session, contract_id: int) -> tuple[dict[str, ObligationStatus], dict[str, int]]:
    """Return the stored obligations of a contract by name, and their row ids by name."""
    rows = obligation_repo.obligations_of(session, contract_id)
    return {row.name: status_of(row) for row in rows}, {row.name: row.id for row in rows}


def views_of(session: Session, contract_id: int, now: datetime) -> dict[str, dict[str, Any]]:
    """Return the obligations of a contract as guards see them at `now`, by name."""
    statuses, _ids = load(session, contract_id)
    return {name: status.view(now) for name, status in statuses.items()}


def save(session: Session, contract_id: int, ids: dict[str, int],
         statuses: dict[str, ObligationStatus], now: datetime) -> None:
    """Insert new obligations and update the stored ones, with their next check instant."""
    for name, status in statuses.items():
        values = {
            "kind": status.kind, "amount": str(status.amount), "due_on": status.due,
            "settled_amount": str(status.settled_amount), "settled_at": status.settled_at,
            "overdue_at": status.overdue_at, "next_check_at": next_check_at(status),
        }
        if name in ids:
            obligation_repo.update_obligation(session, ids[name], values)
        else:
            obligation_repo.add_obligation(session, contract_id=contract_id, name=name, **values)


def settle(definition: ProcessDefinition, statuses: dict[str, ObligationStatus],
           events: list[ContractEvent]) -> dict[str, ObligationStatus]:
    """Recompute settlement of every obligation from the contract's applied events."""
    settled = dict(statuses)
    for spec in definition.obligations.values():
        settlements = [
            Settlement(event.effective_at, Decimal(str(fields[spec.amount_field])), event.id)
            for event in events if event.event == spec.settled_by
            for fields in [jsonutil.loads(event.fields_json)] if spec.amount_field in fields
        ]
        if spec.name in settled:
            settled[spec.name] = apply_settlements(settled[spec.name], settlements)
    return settled
