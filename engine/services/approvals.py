"""Votes in approval rounds: approve and reject, each one transaction on the contract.

A vote is checked against the separation-of-duties rules (engine.runtime.approval_ballots),
recorded as a `vote` history row, and may complete its level. Then the next level
starts, or the engine fires the approved outcome. A reject fires the rejected outcome.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from engine import jsonutil
from engine.definition.model import ApprovalSpec
from engine.errors import BadInputError, RefusedError
from engine.i18n import _
from engine.runtime.approval_ballots import CastVote, Choice, LevelRole, RoundFacts, choose_seat
from engine.runtime.approval_rules import Seat, required_approvals, unfilled_seat
from engine.runtime.moves import SYSTEM_ACTOR, ContractSnapshot, fire_by_engine
from engine.services import contracts, delegations
from engine.services.approval_rounds import (
    LevelStart,
    RoundScope,
    activate_level,
    close_round_later,
    describe_seats,
    level_details,
    plan_level,
    role_holders,
    rule_for,
    task_source,
)
from engine.services.identity import Identity
from engine.services.recording import Entry, Recorder
from engine.store import approval_repo
from engine.store.approval_models import ApprovalRound

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class VoteResult:
    """The effect of one vote, for the command to report."""

    number: str
    decision: str
    position: int
    role: str
    principal: str
    delegation_id: int | None
    text: str | None  # the comment of an approval or the reason of a reject
    next_level: LevelStart | None
    moves: tuple[tuple[str, str, str, str], ...]  # (trigger, from, to, actor)
    row_version: int


@dataclass
class _Vote:
    scope: RoundScope
    identity: Identity
    current: ApprovalRound
    approval: ApprovalSpec
    facts: RoundFacts
    choice: Choice
    decision: str
    text: str | None


def approve(session: Session, identity: Identity, number: str, now: datetime,
            comment: str | None = None, on_behalf_of: str | None = None,
            expected_version: int | None = None) -> VoteResult:
    return _vote(session, identity, number, "approve", now, comment, on_behalf_of,
                 expected_version)


def reject(session: Session, identity: Identity, number: str, now: datetime, reason: str,
           on_behalf_of: str | None = None, expected_version: int | None = None) -> VoteResult:
    if not reason or not reason.strip():
        raise BadInputError(_("A reject needs a reason: add --reason TEXT saying what to "
                              "change."))
    return _vote(session, identity, number, "reject", now, reason.strip(), on_behalf_of,
                 expected_version)


def _vote(session: Session, identity: Identity, number: str, decision: str, now: datetime,
          text: str | None, on_behalf_of: str | None,
          expected_version: int | None) -> VoteResult:
    contract, definition = contracts.load(session, number)
    contracts.check_expected_version(contract, expected_version)
    approval = definition.states[contract.state].approval
    current = approval_repo.open_round(session, contract.id)
    if approval is None or current is None or current.state != contract.state:
        raise RefusedError(_no_round(number, contract.state, approval is None))

    recorder = Recorder(session, contract, definition.process_id, definition.version, now)
    recorder.os_login = identity.os_login
    scope = RoundScope(session, recorder, contract, definition, now, identity.os_login)
    facts = _facts(session, scope, current, identity)
    choice = choose_seat(facts, identity.actor, identity.requested_role, on_behalf_of)
    vote = _Vote(scope, identity, current, approval, facts, choice, decision, text)
    if decision == "approve":
        _check_later_levels(vote)

    _record_vote(vote)
    snapshot = ContractSnapshot(number, contract.customer, contract.state,
                                jsonutil.loads(contract.data_json), definition.process_id,
                                definition.version)
    next_level = None
    if decision == "reject":
        _finish(vote, snapshot, "rejected")
    elif choice.row.approvals + 1 >= (choice.row.required or 1):
        next_level = _complete_role(vote, snapshot)

    version = recorder.commit(snapshot.state, snapshot.data)
    moves = tuple((m.transition.trigger, m.from_state, m.to_state, m.actor)
                  for m in recorder.moves)
    return VoteResult(number, decision, choice.row.position, choice.row.role, choice.principal,
                      choice.delegation_id, text, next_level, moves, version)


def _no_round(number: str, state: str, no_approval: bool) -> str:
    if no_approval:
        return _("{number} is in state {state}, which has no approval, so there is nothing to "
                 "approve or reject. 'lvyue contract show {number}' lists the triggers allowed "
                 "now.").format(number=number, state=state)
    return _("{number} is in state {state} but has no open approval round, because it entered "
             "the state before approvals were recorded. Withdraw it and submit it again."
             ).format(number=number, state=state)


def _facts(session: Session, scope: RoundScope, current: ApprovalRound,
           identity: Identity) -> RoundFacts:
    rows = approval_repo.levels_of(session, current.id)
    votes = approval_repo.votes_of(session, current.id)
    approvers = approval_repo.approvers_of(session, [row.id for row in rows])
    position = {row.id: row.position for row in rows}
    counted = [vote.level_id for vote in votes if vote.decision == "approve"]
    return RoundFacts(
        number=scope.number, creator=scope.contract.created_by, initiator=current.initiator,
        position=current.current_position,
        rows=tuple(LevelRole(row.id, row.position, row.role, row.status, row.required,
                             frozenset(approvers[row.id]), counted.count(row.id))
                   for row in rows),
        votes=tuple(CastVote(v.voter, v.principal, position[v.level_id], v.role) for v in votes),
        voter_roles=identity.roles,
        delegations=delegations.active_for(session, identity.actor, scope.now),
    )


def _remaining_seats(vote: _Vote, used: set[str], with_vote: bool) -> list[Seat]:
    """Return the approvals the round still needs, with or without this vote counted."""
    excluded = {vote.facts.creator, vote.facts.initiator}
    seats = []
    for row in vote.facts.rows:
        if row.status == "active":
            counted = row.approvals + (1 if with_vote and row == vote.choice.row else 0)
            missing = (row.required or 1) - counted
            if missing > 0:
                seats.append(Seat(row.position, row.role, missing, row.approvers - used))
        elif row.status == "pending":
            quorum = str(vote.approval.levels[row.position - 1].quorum)
            pool = role_holders(vote.scope.session, row.role) - excluded
            seats.append(Seat(row.position, row.role, required_approvals(quorum, len(pool)),
                              frozenset(pool - used)))
    return seats


def _check_later_levels(vote: _Vote) -> None:
    """Refuse an approval after which distinct people could no longer fill the other levels.

    A round that is already short without this vote is not blamed on the voter.
    """
    used = vote.facts.used()
    after = _remaining_seats(vote, used | {vote.identity.actor, vote.choice.principal}, True)
    short = unfilled_seat(after)
    if short is None or unfilled_seat(_remaining_seats(vote, used, False)) is not None:
        return
    raise RefusedError(
        _("{person} may not approve level {level} ({role}) of {number}: afterwards distinct "
          "people could not fill level {short_level} ({short_role}), because one person "
          "approves at most one level. Still needed: {seats}. Let another approver take level "
          "{level}.").format(person=vote.choice.principal, level=vote.choice.row.position,
                             role=vote.choice.row.role, number=vote.scope.number,
                             short_level=short.position, short_role=short.role,
                             seats=describe_seats(after)))


def _record_vote(vote: _Vote) -> None:
    scope, choice, identity = vote.scope, vote.choice, vote.identity
    delegated = choice.delegation_id is not None
    details = {"round": vote.current.round_no, "level": choice.row.position,
               "decision": vote.decision}
    if delegated:
        details["delegation"] = choice.delegation_id
    if vote.decision == "approve" and vote.text:
        details["comment"] = vote.text
    if identity.for_other:
        details["acting_for_other"] = True
    scope.recorder.append(Entry(
        kind="vote", actor=identity.actor, os_login=identity.os_login, role=choice.row.role,
        on_behalf_of=choice.principal if delegated else None,
        reason=vote.text if vote.decision == "reject" else None,
        rule=rule_for(vote.current.state), details=details,
    ))

    def write() -> None:
        approval_repo.add_vote(
            scope.session, round_id=vote.current.id, level_id=choice.row.level_id,
            voter=identity.actor, principal=choice.principal,
            on_behalf_of=choice.principal if delegated else None,
            delegation_id=choice.delegation_id, role=choice.row.role, decision=vote.decision,
            comment=vote.text, cast_at=scope.now)
        approval_repo.close_tasks(scope.session, scope.contract.id,
                                  task_source(vote.current.id, choice.row.position), "done",
                                  scope.now, identity.actor, vote.text, choice.principal)

    scope.later(write)


def _complete_role(vote: _Vote, snapshot: ContractSnapshot) -> LevelStart | None:
    """Mark the voted role complete; start the next level or finish the round when due."""
    scope, row = vote.scope, vote.choice.row
    scope.later(lambda: approval_repo.update_level(scope.session, row.level_id, status="done",
                                                   completed_at=scope.now))
    others = [r for r in vote.facts.active_rows() if r != row and not r.complete]
    if others:
        return None

    source = task_source(vote.current.id, row.position)
    scope.later(lambda: approval_repo.close_tasks(
        scope.session, scope.contract.id, source, "cancelled", scope.now, SYSTEM_ACTOR,
        "level complete"))
    pending = sorted({r.position for r in vote.facts.rows if r.status == "pending"})
    if not pending:
        _finish(vote, snapshot, "approved")
        return None

    used = vote.facts.used() | {vote.identity.actor, vote.choice.principal}
    excluded = {vote.facts.creator, vote.facts.initiator}
    start = plan_level(scope, vote.approval, pending[0], excluded, used)
    scope.recorder.append(Entry(
        kind="approval", actor=SYSTEM_ACTOR, os_login=scope.os_login,
        rule=rule_for(vote.current.state),
        details={"event": "level_started", "round": vote.current.round_no,
                 **level_details(start)},
    ))
    scope.later(lambda: activate_level(scope, vote.current.id, start))
    return start


def _finish(vote: _Vote, snapshot: ContractSnapshot, outcome: str) -> None:
    """Record the round's outcome and fire its outcome transition as the engine."""
    scope = vote.scope
    rule = rule_for(vote.current.state)
    trigger = vote.approval.approved if outcome == "approved" else vote.approval.rejected
    reason = vote.text if outcome == "rejected" else None
    scope.recorder.append(Entry(
        kind="approval", actor=SYSTEM_ACTOR, os_login=scope.os_login, rule=rule, reason=reason,
        details={"event": f"round_{outcome}", "round": vote.current.round_no,
                 "decided_by": vote.identity.actor},
    ))
    for move in fire_by_engine(scope.definition, snapshot, trigger, rule, scope.now):
        scope.recorder.append_move(move, scope.os_login, None)
    close_round_later(scope, vote.current.id, outcome, vote.identity.actor, reason)
    log.info("approval round %s of %s %s", vote.current.round_no, scope.number, outcome,
             extra={"contract": scope.number, "trigger": trigger})
