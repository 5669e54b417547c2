"""Writing what happened: history rows in the hash chain, tasks, outbox, row version."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import jsonutil
from engine.clock import utcnow
from engine.audit.chain import HASH_ALGORITHM, HASH_FORMAT, compute_hash
from engine.errors import ConflictError
from engine.i18n import _
from engine.runtime.moves import Move
from engine.services.contract_data import diff
from engine.store import repo
from engine.store.models import Contract


@dataclass
class Entry:
    """One history row to append, before its sequence number and hash are known."""

    kind: str
    actor: str
    os_login: str
    role: str | None = None
    on_behalf_of: str | None = None
    trigger: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    reason: str | None = None
    rule: str | None = None
    data_diff: dict[str, Any] | None = None
    details: dict[str, Any] | None = None
    effective_at: datetime | None = None


class Recorder:
    """Collects the rows of one transaction on one contract, then writes them together."""

    def __init__(self, session: Session, contract: Contract, process_id: str,
                 process_version: int, now: datetime) -> None:
        self.session = session
        self.contract = contract
        self.process_id = process_id
        self.process_version = process_version
        self.now = now
        self.seen_version = contract.row_version
        self.seq = contract.last_seq
        self.last_hash = contract.last_hash
        self.entries = 0
        self._rows: list[dict[str, Any]] = []
        self.moves: list[Move] = []
        # Writes that must follow the guarded row-version UPDATE (see commit).
        self.after_update: list[Callable[[], None]] = []
        self.os_login: str | None = None
        self.final_state: str | None = None

    def append(self, entry: Entry) -> None:
        self.seq += 1
        fields = {
            "contract_number": self.contract.number, "seq": self.seq, "kind": entry.kind,
            "actor": entry.actor, "os_login": entry.os_login, "role": entry.role,
            "on_behalf_of": entry.on_behalf_of, "recorded_at": utcnow(),
            "effective_at": entry.effective_at or self.now, "trigger": entry.trigger,
            "from_state": entry.from_state, "to_state": entry.to_state, "reason": entry.reason,
            "rule": entry.rule, "data_diff": jsonutil.dumps(entry.data_diff or {}),
            "details": jsonutil.dumps(entry.details or {}), "process_id": self.process_id,
            "process_version": self.process_version, "hash_format": HASH_FORMAT,
            "hash_algorithm": HASH_ALGORITHM,
        }
        digest = compute_hash(self.last_hash, fields)
        fields.pop("contract_number")
        self._rows.append(dict(fields, contract_id=self.contract.id, prev_hash=self.last_hash,
                               hash=digest))
        self.last_hash = digest
        self.entries += 1

    def append_move(self, move: Move, os_login: str, reason: str | None,
                    on_behalf_of: str | None = None, details: dict[str, Any] | None = None) -> None:
        self.moves.append(move)
        self.os_login = os_login
        extra = dict(details or {})
        if move.tasks:
            extra["tasks"] = [task.title.get("en", "") for task in move.tasks]
        if move.notifications:
            extra["notifications"] = [n.role for n in move.notifications]
        if move.transition.guard is not None:
            extra["guard"] = move.transition.guard.source
        self.append(Entry(
            kind="transition", actor=move.actor, os_login=os_login, role=move.role,
            on_behalf_of=on_behalf_of, trigger=move.transition.trigger,
            from_state=move.from_state, to_state=move.to_state,
            reason=reason if move.rule is None else None, rule=move.rule,
            data_diff=diff(move.data_before, move.data_after), details=extra,
        ))
        for task in move.tasks:
            repo.add_task(self.session, contract_id=self.contract.id, kind="action",
                          title_json=jsonutil.dumps(task.title), role=task.role, assignee=None,
                          source=task.source, created_at=self.now, due_at=task.due_at,
                          status="open")
        for note in move.notifications:
            repo.add_outbox(self.session, contract_id=self.contract.id,
                            recipient_role=note.role, recipient=None,
                            subject_json=jsonutil.dumps(note.subject),
                            body_json=jsonutil.dumps(note.body), created_at=self.now,
                            status="pending", attempts=0, next_attempt_at=self.now)

    def commit(self, state: str, data: dict[str, Any]) -> int:
        """Save state, data, chain head and the bumped row version; return the new version.

        The guarded UPDATE runs before the history INSERTs, so a concurrent writer
        fails on the row version (a clean conflict) rather than on UNIQUE(contract, seq).
        Approval rounds are started, closed or withdrawn first (they may append rows
        and moves), and the writes queued in `after_update` run after the history.
        """
        from engine.services.approval_hook import before_commit

        state, data = before_commit(self, state, data)
        self.final_state = state
        new_version = self.seen_version + max(self.entries, 1)
        saved = repo.save_contract_move(self.session, self.contract.id, self.seen_version, {
            "state": state, "data_json": jsonutil.dumps(data), "row_version": new_version,
            "last_seq": self.seq, "last_hash": self.last_hash,
        })
        if not saved:
            raise ConflictError(
                _("Contract {number} was changed by someone else while this command ran "
                  "(row version {seen} is stale); nothing was written. Look at it again with "
                  "'lvyue contract show {number}' and retry.").format(
                    number=self.contract.number, seen=self.seen_version)
            )
        for row in self._rows:
            repo.add_history(self.session, **row)
        for write in self.after_update:
            write()
        self.session.flush()
        return new_version
