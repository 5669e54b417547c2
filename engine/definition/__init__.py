"""Process definitions: loading, validating and building them from YAML.

The pipeline has four stages: YAML with limits, JSON Schema, semantic checks,
building. Each stage reports all of its problems in one DefinitionError, and a
stage that finds problems stops the pipeline, so later stages only see input
that the earlier ones accepted.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from engine import PROCESSES_DIR, SCHEMAS_DIR
from engine.definition.builder import build_definition
from engine.definition.checks import run_checks
from engine.definition.model import ProcessDefinition
from engine.definition.yaml_loader import (
    LoadedDocument,
    load_yaml_file,
    load_yaml_text,
    validate_with_schema,
)
from engine.errors import DefinitionError, NotFoundError
from engine.i18n import _

PROCESS_SCHEMA_PATH = SCHEMAS_DIR / "process.schema.json"
_PROCESS_ID = re.compile(r"^[a-z][a-z0-9_]*$")

__all__ = [
    "PROCESS_SCHEMA_PATH",
    "ProcessDefinition",
    "find_shipped_process",
    "load_definition",
    "load_definition_text",
    "process_schema",
    "shipped_process_ids",
]


@cache
def process_schema() -> dict[str, Any]:
    """Return the JSON Schema of process files (schemas/process.schema.json)."""
    with PROCESS_SCHEMA_PATH.open(encoding="utf-8") as stream:
        schema: dict[str, Any] = json.load(stream)
    return schema


def load_definition(path: str | Path) -> ProcessDefinition:
    """Load, validate and build the process definition in the file at `path`.

    The process id must match the file name (customer_contract.yaml contains
    process customer_contract). Raises DefinitionError listing every problem of
    the first stage that found any, or NotFoundError when the file is missing.
    """
    path = Path(path)
    doc = load_yaml_file(path)
    return _validate_and_build(doc, str(path), expected_process_id=path.stem)


def load_definition_text(
    text: str | bytes, name: str, *, check_file_name: bool = False
) -> ProcessDefinition:
    """Like load_definition, for text already in memory; `name` is used in messages.

    With `check_file_name`, the process id must match `name` without its suffix.
    """
    doc = load_yaml_text(text, name)
    expected = Path(name).stem if check_file_name else None
    return _validate_and_build(doc, name, expected_process_id=expected)


def _validate_and_build(
    doc: LoadedDocument, name: str, expected_process_id: str | None
) -> ProcessDefinition:
    problems = validate_with_schema(doc, process_schema(), name)
    if problems:
        raise DefinitionError(problems)

    problems = run_checks(doc, name, expected_process_id)
    if problems:
        raise DefinitionError(problems)

    return build_definition(doc, name)


def shipped_process_ids() -> list[str]:
    """Return the ids of the processes shipped in the processes/ folder, sorted."""
    return sorted(path.stem for path in PROCESSES_DIR.glob("*.yaml"))


def find_shipped_process(process_id: str) -> Path:
    """Return the path of a shipped process file, or raise NotFoundError."""
    path = PROCESSES_DIR / f"{process_id}.yaml"
    if _PROCESS_ID.match(process_id) and path.is_file():
        return path
    raise NotFoundError(
        _("process '{process}' is not shipped with Lvyue. Shipped processes: {known}.").format(
            process=process_id, known=", ".join(shipped_process_ids())
        )
    )
