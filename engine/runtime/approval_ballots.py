"""Rules that decide whether a person may vote in an approval round, at which level role,
and as whose approval the vote counts.

Pure logic over plain values; the services layer loads the round and records
the vote. Every refusal names the person, the level and what to do instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.errors import RefusedError
from engine.i18n import _


@dataclass(frozen=True)
class LevelRole:
    """One role of one level of a round, as stored."""

    level_id: int
    position: int
    role: str
    status: str  # pending, active, done or skipped
    required: int | None
    approvers: frozenset[str]
    approvals: int = 0

    @property
    def complete(self) -> bool:
        return self.required is not None and self.approvals >= self.required


@dataclass(frozen=True)
class CastVote:
    """A vote already in the round."""

    voter: str
    principal: str
    position: int
    role: str


@dataclass(frozen=True)
class RoundFacts:
    """Facts about a round and about the person voting that the vote rules read."""

    number: str
    creator: str
    initiator: str
    position: int  # the active level
    rows: tuple[LevelRole, ...]
    votes: tuple[CastVote, ...]
    voter_roles: tuple[str, ...] = ()
    delegations: dict[str, int] = field(default_factory=dict)  # delegator -> delegation id

    def used(self) -> set[str]:
        """Return everyone whose approval this round has already used, as voter or principal."""
        return {vote.voter for vote in self.votes} | {vote.principal for vote in self.votes}

    def active_rows(self) -> list[LevelRole]:
        """Return the rows of the active level, including roles that are already complete."""
        return [row for row in self.rows if row.position == self.position and
                row.status in ("active", "done")]


@dataclass(frozen=True)
class Choice:
    """The level role a vote counts for and the person it counts as."""

    row: LevelRole
    principal: str
    delegation_id: int | None


def choose_seat(facts: RoundFacts, voter: str, requested_role: str | None,
                on_behalf_of: str | None) -> Choice:
    """Return where `voter`'s vote counts, or raise RefusedError with the reason."""
    _raise_if_initiator(facts, voter, voter)
    _raise_if_used(facts, voter)
    principal: str
    delegation_id: int | None
    if on_behalf_of is not None and on_behalf_of != voter:
        principal, delegation_id = _delegated_principal(facts, voter, on_behalf_of)
    else:
        principal, delegation_id = _default_principal(facts, voter)

    rows = [row for row in facts.active_rows() if principal in row.approvers]
    if requested_role is not None:
        if delegation_id is None and requested_role not in facts.voter_roles:
            raise RefusedError(
                _("{person} does not hold role {role!r} (held: {held}). Pick one of those with "
                  "--role, or leave --role out.").format(
                    person=voter, role=requested_role, held=", ".join(facts.voter_roles) or "-"))
        rows = [row for row in rows if row.role == requested_role]
        if not rows:
            raise RefusedError(_role_mismatch_message(facts, principal, requested_role))
    open_rows = [row for row in rows if not row.complete]
    if not open_rows:
        raise RefusedError(_role_complete_message(facts, rows))
    return Choice(open_rows[0], principal, delegation_id)


def _raise_if_initiator(facts: RoundFacts, person: str, voter: str) -> None:
    if person == facts.creator:
        message = _("{voter} may not vote on {number}: {person} created the contract, and the "
                    "initiator never approves or rejects it (separation of duties). Another "
                    "approver has to decide.")
    elif person == facts.initiator:
        message = _("{voter} may not vote on {number}: {person} submitted this approval round, "
                    "and the initiator never approves or rejects it (separation of duties). "
                    "Another approver has to decide.")
    else:
        return
    raise RefusedError(message.format(voter=voter, number=facts.number, person=person))


def _raise_if_used(facts: RoundFacts, person: str) -> None:
    for vote in facts.votes:
        if person in (vote.voter, vote.principal):
            if vote.voter == vote.principal:
                message = _("{person} already voted in this approval round of {number} (level "
                            "{level}, {role}); one person approves at most one level of a "
                            "round.")
            else:
                message = _("{person} already took part in this approval round of {number}: "
                            "{voter} voted for {principal} at level {level} ({role}); one "
                            "person approves at most one level of a round.")
            raise RefusedError(message.format(
                person=person, number=facts.number, level=vote.position, role=vote.role,
                voter=vote.voter, principal=vote.principal))


def _delegated_principal(facts: RoundFacts, voter: str, delegator: str) -> tuple[str, int]:
    delegation_id = facts.delegations.get(delegator)
    if delegation_id is None:
        raise RefusedError(
            _("{voter} may not vote for {delegator} on {number}: no delegation from {delegator} "
              "to {voter} covers today. 'lvyue org delegations' lists the delegations.").format(
                voter=voter, delegator=delegator, number=facts.number))
    _raise_if_initiator(facts, delegator, voter)
    _raise_if_used(facts, delegator)
    if not any(delegator in row.approvers for row in facts.active_rows()):
        raise RefusedError(_not_approver(facts, delegator))
    return delegator, delegation_id


def _default_principal(facts: RoundFacts, voter: str) -> tuple[str, int | None]:
    """Vote as oneself when an approver, else for the first delegator who is one."""
    active = facts.active_rows()
    if any(voter in row.approvers for row in active):
        return voter, None

    used = facts.used()
    for delegator, delegation_id in sorted(facts.delegations.items()):
        if delegator in (facts.creator, facts.initiator) or delegator in used:
            continue
        if any(delegator in row.approvers and not row.complete for row in active):
            return delegator, delegation_id
    raise RefusedError(_not_approver(facts, voter))


def _not_approver(facts: RoundFacts, person: str) -> str:
    later = sorted({row.position for row in facts.rows
                    if row.position > facts.position and row.status == "pending"
                    and row.role in facts.voter_roles})
    current = ", ".join(row.role for row in facts.active_rows())
    if later:
        return _("{number} is at approval level {level} ({roles}). Level {later} starts only "
                 "after level {level} is complete, so {person} cannot vote yet.").format(
            number=facts.number, level=facts.position, roles=current, later=later[0],
            person=person)
    approvers = sorted({p for row in facts.active_rows() for p in row.approvers})
    return _("{person} is not an approver of level {level} ({roles}) of {number}. Approvers of "
             "this level: {approvers}.").format(
        person=person, level=facts.position, roles=current, number=facts.number,
        approvers=", ".join(approvers) or "-")


def _role_mismatch_message(facts: RoundFacts, principal: str, role: str) -> str:
    roles = [row.role for row in facts.active_rows() if principal in row.approvers]
    return _("{person} cannot vote as {role} at level {level} of {number}; {person} approves "
             "this level as: {roles}.").format(person=principal, role=role,
                                               level=facts.position, number=facts.number,
                                               roles=", ".join(roles) or "-")


def _role_complete_message(facts: RoundFacts, rows: list[LevelRole]) -> str:
    waiting = [row.role for row in facts.active_rows() if not row.complete]
    return _("Role {role} at level {level} of {number} already has the approvals it needs; the "
             "level waits for: {waiting}.").format(role=", ".join(r.role for r in rows),
                                                  level=facts.position, number=facts.number,
                                                  waiting=", ".join(waiting) or "-")
