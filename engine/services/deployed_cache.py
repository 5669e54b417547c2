"""Deployed definitions by row id, cached for as long as the database engine lives.

Deployed versions never change, so a definition read once through an engine stays
valid for that engine. Ticks and replays look definitions up for every contract
they touch. Keying the cache by engine, not by URL, keeps a database that is
deleted and created again at the same path from seeing another one's entries.
"""

from __future__ import annotations

import weakref

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine.definition.model import ProcessDefinition
from engine.services.processes import from_row
from engine.store import repo

_by_engine: weakref.WeakKeyDictionary[Engine, dict[int, ProcessDefinition]] = (
    weakref.WeakKeyDictionary())


def definition_by_id(session: Session, definition_id: int) -> ProcessDefinition:
    """Return the deployed definition with this row id in the session's database."""
    cached = _by_engine.setdefault(session.get_bind().engine, {})
    definition = cached.get(definition_id)
    if definition is None:
        definition = from_row(repo.definition_by_id(session, definition_id))
        cached[definition_id] = definition
    return definition
