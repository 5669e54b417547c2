"""Approval rounds: started when a contract enters a state with an approval, closed by
their outcome, by the initiator's withdraw or by a change to the contract data.

`before_commit` runs inside Recorder.commit for every transaction that records
history, so a round starts or closes whichever command moved the contract. Writes
to the approval tables are queued on the recorder and run after the guarded
row-version UPDATE, so a concurrent command fails on the row version first.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import jsonutil
from engine.clock import iso_utc
from engine.definition.model import ApprovalSpec, ProcessDefinition
from engine.errors import RefusedError
from engine.i18n import _
from engine.runtime.approval_rules import (
    Seat,
    applying_levels,
    level_due_at,
    required_approvals,
    unfilled_seat,
)
from engine.runtime.moves import ContractSnapshot, guard_variables
from engine.labels import N_, bilingual
from engine.services.processes import from_row
from engine.services.recording import Entry, Recorder
from engine.store import approval_repo, repo
from engine.store.models import Contract

log = logging.getLogger(__name__)

RULE_PREFIX = "approval:"


@dataclass
class RoundScope:
    """Session, recorder, contract and clock that the round operations of one transaction share."""

    session: Session
    recorder: Recorder
    contract: Contract
    definition: ProcessDefinition
    now: datetime
    os_login: str

    @property
    def number(self) -> str:
        return self.contract.number

    def later(self, write: Callable[[], None]) -> None:
        """Queue a write for after the contract's row-version UPDATE."""
        self.recorder.after_update.append(write)


@dataclass(frozen=True)
class LevelStart:
    """The people fixed as approvers when a level starts, and what each role needs."""

    position: int
    due_at: datetime | None
    approvers: dict[str, tuple[str, ...]]
    required: dict[str, int]


def definition_of(session: Session, contract: Contract) -> ProcessDefinition:
    return from_row(repo.definition_by_id(session, contract.definition_id))


def role_holders(session: Session, role: str) -> set[str]:
    return {person.id for person in repo.people_with_role(session, role)}


def rule_for(state: str) -> str:
    return f"{RULE_PREFIX}{state}"


# --- levels ----------------------------------------------------------------------


def plan_level(scope: RoundScope, approval: ApprovalSpec, position: int, excluded: set[str],
               used: set[str]) -> LevelStart:
    """Fix the approvers of level `position`: role holders who are neither excluded nor used.

    NOTE: when the org file has lost every eligible holder of a role since the round
    started, the level starts without approvers. It then waits for its escalation or
    for the initiator to withdraw, and nothing reports it before the deadline.
    """
    level = approval.levels[position - 1]
    approvers = {role: tuple(sorted(role_holders(scope.session, role) - excluded - used))
                 for role in level.roles}
    required = {role: required_approvals(str(level.quorum), len(people))
                for role, people in approvers.items()}
    return LevelStart(position, level_due_at(level, scope.now), approvers, required)


def level_details(start: LevelStart) -> dict[str, Any]:
    return {"level": start.position, "approvers": {r: list(p) for r, p in start.approvers.items()},
            "required": start.required,
            "due_at": iso_utc(start.due_at) if start.due_at else None}


def activate_level(scope: RoundScope, round_id: int, start: LevelStart) -> None:
    """Write a started level: its rows, approvers and one approval task per approver."""
    session = scope.session
    for row in approval_repo.levels_of(session, round_id):
        if row.position != start.position:
            continue
        approval_repo.update_level(session, row.id, status="active",
                                   required=start.required[row.role], started_at=scope.now,
                                   due_at=start.due_at)
        title = bilingual(N_("Approve {number}: level {level}, {role}"), number=scope.number,
                          level=start.position, role=role_label(scope.definition, row.role))
        for person in start.approvers[row.role]:
            approval_repo.add_approver(session, row.id, person, "role")
            add_approval_task(scope, round_id, start.position, row.role, person, title,
                              start.due_at)
    approval_repo.set_current_position(session, round_id, start.position)


def add_approval_task(scope: RoundScope, round_id: int, position: int, role: str, person: str,
                      title: dict[str, str], due_at: datetime | None) -> None:
    repo.add_task(scope.session, contract_id=scope.contract.id, kind="approval",
                  title_json=jsonutil.dumps(title), role=role, assignee=person,
                  source=task_source(round_id, position), created_at=scope.now, due_at=due_at,
                  status="open")


def task_source(round_id: int, position: int) -> str:
    return f"{RULE_PREFIX}{round_id}:{position}"


def role_label(definition: ProcessDefinition, role: str) -> dict[str, str]:
    label = definition.roles.get(role)
    return dict(label) if label else {"en": role, "zh-CN": role}


# --- starting a round ------------------------------------------------------------------


def start_round(scope: RoundScope, state: str, approval: ApprovalSpec, initiator: str,
                data: dict[str, Any]) -> None:
    """Start a round in `state`, or raise RefusedError when distinct people cannot fill it."""
    snapshot = ContractSnapshot(scope.number, scope.contract.customer, state, data,
                                scope.definition.process_id, scope.definition.version)
    applies = applying_levels(approval, guard_variables(snapshot, scope.now))
    excluded = {scope.contract.created_by, initiator}
    seats = submission_seats(scope, approval, applies, excluded)
    short = unfilled_seat(seats)
    if short is not None:
        raise RefusedError(submission_refused_message(scope, approval, seats, short, initiator))

    first = applies.index(True) + 1
    start = plan_level(scope, approval, first, excluded, set())
    round_no = approval_repo.last_round_no(scope.session, scope.contract.id) + 1
    levels = [{"level": position, "roles": list(level.roles), "quorum": level.quorum,
               "applies": applied}
              for position, (level, applied) in enumerate(zip(approval.levels, applies), 1)]
    scope.recorder.append(Entry(
        kind="approval", actor=initiator, os_login=scope.os_login, rule=rule_for(state),
        details={"event": "round_started", "round": round_no, "levels": levels,
                 **level_details(start)},
    ))
    scope.later(lambda: _write_round(scope, state, approval, initiator, data, round_no,
                                     applies, start))


def _write_round(scope: RoundScope, state: str, approval: ApprovalSpec, initiator: str,
                 data: dict[str, Any], round_no: int, applies: list[bool],
                 start: LevelStart) -> None:
    session = scope.session
    row = approval_repo.add_round(
        session, contract_id=scope.contract.id, round_no=round_no, state=state,
        initiator=initiator, status="open", current_position=0,
        data_json=jsonutil.dumps(data), started_at=scope.now)
    for position, (level, applied) in enumerate(zip(approval.levels, applies), 1):
        for role in level.roles:
            approval_repo.add_level(session, round_id=row.id, position=position, role=role,
                                    quorum=str(level.quorum), applies=applied,
                                    status="pending" if applied else "skipped")
    activate_level(scope, row.id, start)


def submission_seats(scope: RoundScope, approval: ApprovalSpec, applies: list[bool],
                     excluded: set[str]) -> list[Seat]:
    seats = []
    for position, (level, applied) in enumerate(zip(approval.levels, applies), 1):
        if not applied:
            continue
        for role in level.roles:
            pool = role_holders(scope.session, role) - excluded
            seats.append(Seat(position, role, required_approvals(str(level.quorum), len(pool)),
                              frozenset(pool)))
    return seats


def describe_seats(seats: list[Seat]) -> str:
    return "; ".join(
        _("level {level} {role} needs {count} of: {people}").format(
            level=seat.position, role=seat.role, count=seat.count,
            people=", ".join(sorted(seat.candidates)) or _("nobody"))
        for seat in seats)


def submission_refused_message(scope: RoundScope, approval: ApprovalSpec, seats: list[Seat],
                       short: Seat, initiator: str) -> str:
    creator = scope.contract.created_by
    if creator == initiator:
        excluded = _("{person} (created the contract and submits it)").format(person=creator)
    else:
        excluded = _("{creator} (created the contract), {initiator} (submits it)").format(
            creator=creator, initiator=initiator)
    return _("Submission of {number} refused: distinct people cannot fill every approval level "
             "at once, because one person approves at most one level and the initiator never "
             "approves. Level {level} ({role}) is left short. Approvers: {seats}. Not eligible: "
             "{excluded}. Add approvers for {role} to the org file, or let someone else submit."
             ).format(number=scope.number, level=short.position, role=short.role,
                      seats=describe_seats(seats), excluded=excluded)


# --- closing a round -------------------------------------------------------------------


def close_round_later(scope: RoundScope, round_id: int, status: str, by: str,
                      reason: str | None) -> None:
    """Queue closing the round and cancelling its open approval tasks."""
    def write() -> None:
        approval_repo.close_round(scope.session, round_id, status, scope.now, by, reason)
        approval_repo.close_tasks(scope.session, scope.contract.id, None, "cancelled",
                                  scope.now, by, reason)

    scope.later(write)
