"""Process definitions: validate, deploy, list, show; and loading deployed versions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from engine.clock import utcnow
from engine.definition import load_definition, load_definition_text
from engine.definition.model import ProcessDefinition
from engine.errors import BadInputError, NotFoundError
from engine.i18n import _
from engine.store import repo
from engine.store.models import Definition

_loaded: dict[str, ProcessDefinition] = {}


def from_row(row: Definition) -> ProcessDefinition:
    """Rebuild a deployed definition from its stored text (cached by content hash)."""
    cached = _loaded.get(row.content_hash)
    if cached is None:
        cached = load_definition_text(row.source_text, row.source_name)
        _loaded[row.content_hash] = cached
    return cached


def deployed(session: Session, process_id: str, version: int | None = None) -> tuple[Definition, ProcessDefinition]:
    row = repo.find_definition(session, process_id, version)
    if row is None:
        if version is None:
            message = _("Process {process!r} is not deployed. Deploy it with 'lvyue process "
                        "deploy processes/{process}.yaml'; 'lvyue process list' shows what is.")
        else:
            message = _("Process {process!r} version {version} is not deployed; 'lvyue process "
                        "list' shows the deployed versions.")
        raise NotFoundError(message.format(process=process_id, version=version))
    return row, from_row(row)


@dataclass(frozen=True)
class DeployResult:
    definition: ProcessDefinition
    created: bool  # False when the same id, version and content were already deployed


def deploy(session: Session, path: str | Path, actor: str) -> DeployResult:
    definition = load_definition(path)
    existing = repo.find_definition(session, definition.process_id, definition.version)
    if existing is not None:
        if existing.content_hash == definition.content_hash:
            return DeployResult(definition, created=False)
        raise BadInputError(
            _("Process {process} version {version} is already deployed with different "
              "content (hash {old:.12}, this file {new:.12}). Deployed versions never change: "
              "raise 'version' in {path} and deploy again.").format(
                process=definition.process_id, version=definition.version,
                old=existing.content_hash, new=definition.content_hash, path=path)
        )
    latest = repo.find_definition(session, definition.process_id)
    if latest is not None and latest.version > definition.version:
        raise BadInputError(
            _("Process {process} version {version} is older than the deployed version "
              "{latest}; use version {next} or higher.").format(
                process=definition.process_id, version=definition.version,
                latest=latest.version, next=latest.version + 1)
        )
    session.add(Definition(
        process_id=definition.process_id, version=definition.version,
        content_hash=definition.content_hash, source_name=definition.source_name,
        source_text=definition.source_text, title_json=json.dumps(dict(definition.title),
                                                                  ensure_ascii=False),
        deployed_at=utcnow(), deployed_by=actor,
    ))
    session.flush()
    return DeployResult(definition, created=True)
