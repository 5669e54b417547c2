"""Contract commands: create, fire a trigger, read one or many, read its history."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import jsonutil
from engine.audit.chain import GENESIS_HASH
from engine.clock import business_date
from engine.definition.model import ProcessDefinition
from engine.errors import BadInputError, ConflictError, NotFoundError
from engine.i18n import _
from engine.runtime.moves import ContractSnapshot, Move, fire_by_person, run_automatic
from engine.services import contract_data, obligations, plan_engine
from engine.services.identity import Identity
from engine.services.processes import deployed, from_row
from engine.services.recording import Entry, Recorder
from engine.store import repo
from engine.store.models import Contract, Definition

log = logging.getLogger(__name__)

SERIES = "HT"


@dataclass(frozen=True)
class MoveResult:
    """Outcome of one command on one contract."""

    number: str
    from_state: str
    to_state: str
    row_version: int
    moves: tuple[tuple[str, str, str, str], ...]  # (trigger, from, to, actor)
    contract_id: int | None = None


def format_number(series: str, year: int, value: int) -> str:
    return f"{series}-{year:04d}-{value:06d}"


def create(session: Session, identity: Identity, process_id: str, customer: str,
           data: dict[str, Any], now: datetime, external_ref: str | None = None,
           effective_at: datetime | None = None,
           version: tuple[Definition, ProcessDefinition] | None = None) -> MoveResult:
    """Create a contract in the process's initial state, with its first history row.

    `version` pins the deployed definition; by default the latest is used. An import
    pins the version it checked its rows against and creates every contract on it.
    """
    row, definition = version or deployed(session, process_id)
    contract_data.validate_data(data, definition, _("new contract"))
    existing = (repo.contract_by_external_ref(session, external_ref)
                if external_ref is not None else None)
    if existing is not None:
        raise BadInputError(
            _("External reference {ref!r} already belongs to contract {number}; each "
              "reference names one contract. Use another --external-ref.").format(
                ref=external_ref, number=existing.number)
        )
    if not customer.strip():
        raise BadInputError(_("Invalid value for --customer: the customer name is empty."))
    year = business_date(effective_at or now).year
    number = format_number(SERIES, year, repo.allocate_number(session, SERIES, year))
    contract = repo.add_contract(
        session, number=number, external_ref=external_ref, definition_id=row.id,
        customer=customer, state=definition.initial_state, data_json=jsonutil.dumps(data),
        row_version=0, last_seq=0, last_hash=GENESIS_HASH, created_at=now,
        created_by=identity.actor, voided=False,
    )
    recorder = Recorder(session, contract, definition.process_id, definition.version, now)
    recorder.append(Entry(
        kind="created", actor=identity.actor, os_login=identity.os_login,
        role=identity.requested_role, to_state=definition.initial_state,
        data_diff=contract_data.diff({}, data), effective_at=effective_at,
        details={"customer": customer, "external_ref": external_ref,
                 "acting_for_other": identity.for_other},
    ))
    snapshot = _snapshot(contract, definition)
    snapshot.obligations = obligations.initial_statuses(definition, snapshot)
    for move in run_automatic(definition, snapshot, now):
        recorder.append_move(move, identity.os_login, None)
    obligations.refresh_terms(definition, snapshot, data)
    before_plans = snapshot.data
    plan_engine.evaluate_in_transaction(session, recorder, contract, definition, snapshot, now,
                                        identity.os_login)
    obligations.refresh_terms(definition, snapshot, before_plans)
    new_version = recorder.commit(snapshot.state, snapshot.data)
    obligations.save(session, contract.id, {}, snapshot.obligations, now)
    return MoveResult(number, definition.initial_state, snapshot.state, new_version, (),
                      contract.id)


def load(session: Session, number: str) -> tuple[Contract, ProcessDefinition]:
    contract = repo.contract_by_number(session, number)
    if contract is None:
        raise NotFoundError(
            _("Contract {number} not found. Contract numbers look like HT-2026-000123; "
              "'lvyue contract list' shows them.").format(number=number)
        )
    return contract, from_row(repo.definition_by_id(session, contract.definition_id))


def check_expected_version(contract: Contract, expected: int | None) -> None:
    if expected is not None and expected != contract.row_version:
        raise ConflictError(
            _("Contract {number} is at row version {actual}, not {expected}: someone changed "
              "it since you looked. Check it with 'lvyue contract show {number}'.").format(
                number=contract.number, actual=contract.row_version, expected=expected)
        )


def fire(session: Session, identity: Identity, number: str, trigger: str, now: datetime,
         reason: str | None = None, assignments: tuple[str, ...] = (),
         expected_version: int | None = None) -> MoveResult:
    """Fire `trigger` as a person, with optional data changes, in one transaction."""
    contract, definition = load(session, number)
    check_expected_version(contract, expected_version)
    snapshot = _snapshot(contract, definition)
    snapshot.obligations, obligation_ids = obligations.load(session, contract.id)
    start_state = snapshot.state
    changes = contract_data.parse_assignments(assignments, definition)
    if changes:
        snapshot.data = {**snapshot.data, **changes}
        contract_data.validate_data(snapshot.data, definition, number)
        snapshot.obligations = obligations.with_new_terms(definition, snapshot)

    original = jsonutil.loads(contract.data_json)
    moves = fire_by_person(definition, snapshot, trigger, identity.actor, list(identity.roles),
                           identity.requested_role, now)
    moves[0].data_before = original
    recorder = Recorder(session, contract, definition.process_id, definition.version, now)
    details = {"acting_for_other": True} if identity.for_other else None
    for move in moves:
        recorder.append_move(move, identity.os_login, reason, details=details)
    contract_data.validate_data(snapshot.data, definition, number)
    snapshot.obligations = obligations.with_new_terms(definition, snapshot)
    before_plans = snapshot.data
    plan_engine.evaluate_in_transaction(session, recorder, contract, definition, snapshot, now,
                                        identity.os_login)
    if snapshot.data != before_plans:
        contract_data.validate_data(snapshot.data, definition, number)
        obligations.refresh_terms(definition, snapshot, before_plans)
    version = recorder.commit(snapshot.state, snapshot.data)
    obligations.save(session, contract.id, obligation_ids, snapshot.obligations, now)
    final_state = recorder.final_state or snapshot.state
    return MoveResult(number, start_state, final_state, version, _summary(recorder.moves),
                      contract.id)


def _summary(moves: list[Move]) -> tuple[tuple[str, str, str, str], ...]:
    return tuple((m.transition.trigger, m.from_state, m.to_state, m.actor) for m in moves)


def _snapshot(contract: Contract, definition: ProcessDefinition) -> ContractSnapshot:
    return ContractSnapshot(
        number=contract.number, customer=contract.customer, state=contract.state,
        data=jsonutil.loads(contract.data_json), process_id=definition.process_id,
        process_version=definition.version,
    )
