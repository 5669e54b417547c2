"""The tick step that escalates approval levels whose deadline has passed.

For each overdue level the process's escalation runs once: notify a role, or add
the eligible holders of a role as approvers. A level without an escalation is
recorded as overdue. Each contract is one transaction that writes an `escalation`
history row and bumps the row version, and a level is never escalated twice.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import jsonutil
from engine.clock import iso_utc, local_text
from engine.definition.model import ApprovalLevel
from engine.errors import LvyueError
from engine.i18n import _
from engine.runtime.moves import SYSTEM_ACTOR
from engine.services.approval_rounds import (
    RoundScope,
    add_approval_task,
    definition_of,
    role_holders,
    role_label,
    rule_for,
)
from engine.labels import N_, bilingual
from engine.services.identity import os_login
from engine.services.recording import Entry, Recorder
from engine.services.tick_steps import StepReport
from engine.store import approval_repo, repo
from engine.store.approval_models import ApprovalLevelRow, ApprovalRound
from engine.store.db import Store

log = logging.getLogger(__name__)

STEP_NAME = "approval_deadlines"


def approval_deadline_step(store: Store, now: datetime) -> StepReport:
    """Escalate every active approval level due at or before `now`, one contract at a time."""
    report = StepReport(step=STEP_NAME)
    with store.read() as session:
        overdue = approval_repo.overdue_levels(session, now)
    by_contract: dict[int, list[int]] = defaultdict(list)
    for contract_id, level_id in overdue:
        by_contract[contract_id].append(level_id)

    for contract_id, level_ids in by_contract.items():
        try:
            with store.write() as session:
                messages = escalate_contract(session, contract_id, level_ids, now)
        except LvyueError as exc:
            log.warning("approval escalation failed", extra={"contract_id": contract_id})
            report.errors.append(exc.message)
            continue
        report.changed += 1 if messages else 0
        report.messages.extend(messages)
    return report


def escalate_contract(session: Session, contract_id: int, level_ids: list[int],
                      now: datetime) -> list[str]:
    """Escalate the overdue levels of one contract in the current transaction."""
    contract = approval_repo.contract_by_id(session, contract_id)
    if contract is None:
        return []
    definition = definition_of(session, contract)
    recorder = Recorder(session, contract, definition.process_id, definition.version, now)
    recorder.os_login = os_login()
    scope = RoundScope(session, recorder, contract, definition, now, recorder.os_login)

    groups: dict[tuple[int, int], list[ApprovalLevelRow]] = defaultdict(list)
    for level_id in level_ids:
        row = approval_repo.level_by_id(session, level_id)
        if row is not None and row.status == "active" and row.escalated_at is None:
            groups[(row.round_id, row.position)].append(row)

    messages = []
    for (round_id, position), rows in groups.items():
        current = approval_repo.round_by_id(session, round_id)
        if current is None or current.status != "open" or current.state != contract.state:
            continue
        messages.append(_escalate_level(scope, current, position, rows))
    if messages:
        recorder.commit(contract.state, jsonutil.loads(contract.data_json))
    return messages


def _escalate_level(scope: RoundScope, current: ApprovalRound, position: int,
                    rows: list[ApprovalLevelRow]) -> str:
    approval = scope.definition.states[current.state].approval
    assert approval is not None
    level = approval.levels[position - 1]
    details: dict[str, Any] = {"round": current.round_no, "level": position,
                               "due_at": iso_utc(rows[0].due_at) if rows[0].due_at else None}

    if level.notify is not None:
        details.update(action="notify", role=level.notify)
        _queue_notification(scope, level, position, rows)
        message = _("{number}: approval level {level} is overdue; notified {role}.")
    elif level.add_approver is not None:
        added = _added_approvers(scope, current, level.add_approver, rows)
        details.update(action="add_approver", role=level.add_approver, added=added)
        message = (_("{number}: approval level {level} is overdue; added approvers {people} "
                     "({role}).") if added else
                   _("{number}: approval level {level} is overdue, but no holder of {role} "
                     "is eligible to be added as an approver."))
        scope.later(lambda: _write_added(scope, current, position, rows, added))
    else:
        details.update(action="none")
        message = _("{number}: approval level {level} is overdue; the process names no "
                    "escalation.")

    scope.recorder.append(Entry(kind="escalation", actor=SYSTEM_ACTOR,
                                os_login=scope.os_login,
                                rule=f"{rule_for(current.state)}:escalate", details=details))
    for row in rows:
        scope.later(lambda row_id=row.id: approval_repo.update_level(
            scope.session, row_id, escalated_at=scope.now))
    return message.format(number=scope.number, level=position, role=level.add_approver or
                          level.notify, people=", ".join(details.get("added", [])))


def _queue_notification(scope: RoundScope, level: ApprovalLevel, position: int,
                        rows: list[ApprovalLevelRow]) -> None:
    due = local_text(rows[0].due_at) if rows[0].due_at else "-"
    subject = bilingual(N_("Approval of {number} is overdue at level {level}"),
                        number=scope.number, level=position)
    body = bilingual(N_("Level {level} ({roles}) of contract {number} was due at {due} and is "
                        "still waiting for approvers."), level=position,
                     roles=", ".join(level.roles), number=scope.number, due=due)
    repo.add_outbox(scope.session, contract_id=scope.contract.id, recipient_role=level.notify,
                    recipient=None, subject_json=jsonutil.dumps(subject),
                    body_json=jsonutil.dumps(body), created_at=scope.now, status="pending",
                    attempts=0, next_attempt_at=scope.now)


def _added_approvers(scope: RoundScope, current: ApprovalRound, role: str,
                     rows: list[ApprovalLevelRow]) -> list[str]:
    """Return holders of `role` who may join: not excluded, not used, not approvers already."""
    session = scope.session
    votes = approval_repo.votes_of(session, current.id)
    used = {v.voter for v in votes} | {v.principal for v in votes}
    excluded = {scope.contract.created_by, current.initiator}
    present = set().union(*approval_repo.approvers_of(session, [r.id for r in rows]).values())
    return sorted(role_holders(session, role) - excluded - used - present)


def _write_added(scope: RoundScope, current: ApprovalRound, position: int,
                 rows: list[ApprovalLevelRow], added: list[str]) -> None:
    for row in rows:
        title = bilingual(N_("Approve {number}: level {level}, {role}"), number=scope.number,
                          level=position, role=role_label(scope.definition, row.role))
        for person in added:
            approval_repo.add_approver(scope.session, row.id, person, "escalation")
            add_approval_task(scope, current.id, position, row.role, person, title, row.due_at)
