"""Deployed definitions by row id, cached for the life of the process.

Deployed versions never change, so a definition read once per database stays
valid. Ticks and replays look definitions up for every contract they touch.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.definition.model import ProcessDefinition
from engine.services.processes import from_row
from engine.store import repo

_by_id: dict[tuple[str, int], ProcessDefinition] = {}


def definition_by_id(session: Session, definition_id: int) -> ProcessDefinition:
    """Return the deployed definition with this row id in the session's database."""
    key = (session.get_bind().engine.url.render_as_string(hide_password=True), definition_id)
    definition = _by_id.get(key)
    if definition is None:
        definition = from_row(repo.definition_by_id(session, definition_id))
        _by_id[key] = definition
    return definition
