"""Identity of the person acting (--as, else LVYUE_ACTOR, else the OS login), checked in the org."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.errors import BadInputError, RefusedError
from engine.i18n import _
from engine.runtime.moves import SYSTEM_ACTOR
from engine.store import repo


@dataclass(frozen=True)
class Identity:
    """The person acting, the OS login that ran the command, and the role asked for."""

    actor: str
    os_login: str
    requested_role: str | None
    for_other: bool
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Claim:
    """Identity claimed by the command line and environment, before the org is consulted."""

    as_person: str | None = None
    role: str | None = None

    def claimed(self) -> str | None:
        return self.as_person or os.environ.get("LVYUE_ACTOR") or None


def os_login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def resolve(session: Session, claim: Claim) -> Identity:
    login = os_login()
    login_person = repo.person_by_login(session, login)
    claimed = claim.claimed()
    if claimed == SYSTEM_ACTOR:
        raise RefusedError(_("'system' is the engine's own name; nobody can act as it."))
    if claimed is None:
        if login_person is None:
            raise RefusedError(
                _("OS login {login!r} is not in the org file. Add it to a person's logins "
                  "and run 'lvyue org apply', or name yourself with --as.").format(login=login)
            )
        return _identity(session, login_person.id, login, claim.role, for_other=False)

    person = repo.person(session, claimed)
    if person is None or not person.active:
        raise BadInputError(
            _("Unknown person {person!r} in --as or LVYUE_ACTOR. Use a person id from the org "
              "file ('lvyue org apply' loads it).").format(person=claimed)
        )
    if login_person is not None and login_person.id == person.id:
        return _identity(session, person.id, login, claim.role, for_other=False)
    if login_person is None or not login_person.can_act_for_others:
        raise RefusedError(
            _("OS login {login!r} may not act as {person!r}. Only logins of people with "
              "act_for_others: true in the org file may use --as for someone else.")
            .format(login=login, person=claimed)
        )
    return _identity(session, person.id, login, claim.role, for_other=True)


def _identity(session: Session, person_id: str, login: str, role: str | None,
              for_other: bool) -> Identity:
    roles = tuple(repo.roles_of(session, person_id))
    if role is not None and role not in roles:
        raise RefusedError(
            _("{actor} does not hold role {role!r} (held: {held}). Pick one of those with "
              "--role, or update the org file.").format(
                actor=person_id, role=role, held=", ".join(roles) or "-")
        )
    return Identity(person_id, login, role, for_other, roles)
