"""`lvyue audit verify`: walk every contract's chain and recompute its state and data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine import jsonutil
from engine.audit.chain import ChainBreak, verify_chain
from engine.store import repo
from engine.store.models import HistoryRow


@dataclass(frozen=True)
class VerifyReport:
    contracts: int
    rows: int
    breaks: tuple[ChainBreak, ...]

    @property
    def ok(self) -> bool:
        return not self.breaks


def _fields(row: HistoryRow, number: str) -> dict[str, Any]:
    return {
        "contract_number": number, "seq": row.seq, "kind": row.kind, "actor": row.actor,
        "os_login": row.os_login, "role": row.role, "on_behalf_of": row.on_behalf_of,
        "recorded_at": row.recorded_at, "effective_at": row.effective_at,
        "trigger": row.trigger, "from_state": row.from_state, "to_state": row.to_state,
        "reason": row.reason, "rule": row.rule, "data_diff": row.data_diff,
        "details": row.details, "process_id": row.process_id,
        "process_version": row.process_version, "hash_format": row.hash_format,
        "hash_algorithm": row.hash_algorithm, "prev_hash": row.prev_hash, "hash": row.hash,
    }


def _replay(rows: list[HistoryRow]) -> tuple[str | None, dict[str, Any]]:
    """Recompute state and data from the rows alone."""
    state: str | None = None
    data: dict[str, Any] = {}
    for row in rows:
        if row.to_state is not None:
            state = row.to_state
        for field, (_old, new) in jsonutil.loads(row.data_diff).items():
            if new is None:
                data.pop(field, None)
            else:
                data[field] = new
    return state, data


def verify_all(session: Session, progress: Callable[[int], None] | None = None) -> VerifyReport:
    breaks: list[ChainBreak] = []
    contracts = rows_seen = 0
    for contract in repo.iter_contracts_for_audit(session):
        rows = repo.history_of(session, contract.id)
        contracts += 1
        rows_seen += len(rows)
        broken = verify_chain(contract.number, [_fields(r, contract.number) for r in rows],
                              contract.last_seq, contract.last_hash)
        if broken is None:
            state, data = _replay(rows)
            if state != contract.state:
                broken = ChainBreak(contract.number, contract.last_seq, "state")
            elif data != jsonutil.loads(contract.data_json):
                broken = ChainBreak(contract.number, contract.last_seq, "data")
        if broken is not None:
            breaks.append(broken)
        if progress is not None:
            progress(1)
    return VerifyReport(contracts, rows_seen, tuple(breaks))
