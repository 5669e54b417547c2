"""Delegations: a delegate approves for a delegator within a window of business dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy.orm import Session

from engine.clock import business_date
from engine.errors import BadInputError, NotFoundError, RefusedError
from engine.i18n import _
from engine.services.identity import Identity
from engine.store import approval_repo, repo
from engine.store.approval_models import Delegation


@dataclass(frozen=True)
class DelegationView:
    """A delegation as `lvyue org delegations` shows it."""

    id: int
    delegator: str
    delegate: str
    valid_from: date
    valid_until: date
    created_by: str
    revoked: bool
    missing: tuple[str, ...]  # its people who are not in the org file or are inactive


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadInputError(
            _("Invalid value for {option}: {value!r} is not a date. Use YYYY-MM-DD, for example "
              "2026-03-01.").format(option=option, value=text)) from None


def create(session: Session, identity: Identity, delegator: str, delegate: str,
           valid_from: date, valid_until: date, now: datetime) -> Delegation:
    """Store a delegation; the delegator creates it (an administrator through --as)."""
    for person_id in (delegator, delegate):
        person = repo.person(session, person_id)
        if person is None or not person.active:
            raise NotFoundError(
                _("Person {person!r} is not in the org file or is inactive. Use a person id "
                  "from the org file ('lvyue org apply' loads it).").format(person=person_id))
    if delegator == delegate:
        raise BadInputError(_("{person} cannot delegate to themselves; name another person as "
                              "the delegate.").format(person=delegator))
    if valid_until < valid_from:
        raise BadInputError(
            _("--until {until} is before --from {start}; the window must end on or after the "
              "day it starts.").format(until=valid_until, start=valid_from))
    if identity.actor != delegator:
        raise RefusedError(
            _("{actor} may not delegate for {delegator}: only the delegator creates a "
              "delegation. Run the command as {delegator} (an administrator may use --as "
              "{delegator}).").format(actor=identity.actor, delegator=delegator))
    return approval_repo.add_delegation(
        session, delegator=delegator, delegate=delegate, valid_from=valid_from,
        valid_until=valid_until, created_at=now, created_by=identity.actor)


def revoke(session: Session, identity: Identity, delegation_id: int, now: datetime) -> Delegation:
    row = approval_repo.delegation(session, delegation_id)
    if row is None:
        raise NotFoundError(_("Delegation {id} not found; 'lvyue org delegations' lists them.")
                            .format(id=delegation_id))
    if identity.actor not in (row.delegator, row.delegate):
        raise RefusedError(
            _("{actor} may not revoke delegation {id}: only {delegator} or {delegate} may.")
            .format(actor=identity.actor, id=delegation_id, delegator=row.delegator,
                    delegate=row.delegate))
    if row.revoked_at is not None:
        raise RefusedError(_("Delegation {id} was already revoked.").format(id=delegation_id))
    approval_repo.revoke_delegation(session, delegation_id, now, identity.actor)
    return row


def active_for(session: Session, delegate: str, now: datetime) -> dict[str, int]:
    """Return delegator -> delegation id for delegations to `delegate` in force at `now`."""
    people = approval_repo.active_people(session)
    if delegate not in people:
        return {}
    found: dict[str, int] = {}
    for row in approval_repo.delegations_to(session, delegate, business_date(now)):
        if row.delegator in people:
            found.setdefault(row.delegator, row.id)
    return found


def listing(session: Session, include_revoked: bool) -> list[DelegationView]:
    people = approval_repo.active_people(session)
    views = []
    for row in approval_repo.delegations(session, include_revoked):
        missing = tuple(p for p in (row.delegator, row.delegate) if p not in people)
        views.append(DelegationView(row.id, row.delegator, row.delegate, row.valid_from,
                                    row.valid_until, row.created_by, row.revoked_at is not None,
                                    missing))
    return views


def orphaned(session: Session) -> list[DelegationView]:
    """Return unrevoked delegations that name a person the org no longer has."""
    return [view for view in listing(session, include_revoked=False) if view.missing]
