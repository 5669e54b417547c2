"""The org file: people, their roles and OS logins (YAML, checked by schemas/org.schema.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine import SCHEMAS_DIR
from engine.errors import BadInputError, DefinitionError, Problem, RefusedError
from engine.i18n import _
from engine.runtime.moves import SYSTEM_ACTOR
from engine.store import repo


def load_org_file(path: str | Path) -> list[dict[str, Any]]:
    """Load and check an org file; return one dict per person (id, name, roles, logins…)."""
    from engine.definition.schema_errors import validate_with_schema
    from engine.definition.yaml_loader import load_yaml_file

    if not Path(path).is_file():
        raise BadInputError(_("Org file {path} not found.").format(path=path))
    document = load_yaml_file(path)
    schema = json.loads((SCHEMAS_DIR / "org.schema.json").read_text(encoding="utf-8"))
    problems = validate_with_schema(document, schema, str(path))
    if problems:
        raise DefinitionError(problems)
    people = [dict(body, id=person_id) for person_id, body in document.data["people"].items()]
    problems = list(_login_problems(document, people, str(path)))
    if problems:
        raise DefinitionError(problems)
    return people


def _login_problems(document: Any, people: list[dict[str, Any]], name: str):  # type: ignore[no-untyped-def]
    owner: dict[str, str] = {}
    for person in people:
        if person["id"] == SYSTEM_ACTOR:
            line, column = document.locate(("people", person["id"]))
            yield Problem(name, line, column, _("'system' is reserved for the engine; give "
                                                "this person another id."))
        for index, login in enumerate(person.get("logins", [])):
            if login in owner:
                line, column = document.locate(("people", person["id"], "logins", index))
                yield Problem(name, line, column, _(
                    "login {login!r} already belongs to {other}; a login maps to one person."
                ).format(login=login, other=owner[login]))
            owner[login] = person["id"]


def check_may_replace_org(session: Session, login: str) -> None:
    """Allow replacing a stored org only from a login of a person with act_for_others.

    The first org of a new database can be applied by anyone, because nobody is known yet.
    """
    if repo.count_people(session) == 0:
        return
    person = repo.person_by_login(session, login)
    if person is None or not person.can_act_for_others:
        raise RefusedError(
            _("OS login {login!r} may not replace the org: only logins of people with "
              "act_for_others: true in the current org may apply an org file.").format(
                login=login)
        )


def apply_org(session: Session, people: list[dict[str, Any]]) -> int:
    repo.replace_org(session, people)
    return len(people)
