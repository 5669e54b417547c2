"""The context shared by the semantic checks of a process document."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from engine.definition.schema_errors import format_path
from engine.definition.yaml_loader import DocumentPath, LoadedDocument
from engine.errors import Problem
from engine.i18n import _

CEL_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
CEL_RESERVED_WORDS = frozenset(
    {
        "true", "false", "null", "in", "as", "break", "const", "continue", "else", "for",
        "function", "if", "import", "let", "loop", "package", "namespace", "return", "var",
        "void", "while",
    }
)  # fmt: skip


@dataclass
class CheckContext:
    """The document under check and the name of the file it came from."""

    doc: LoadedDocument
    name: str
    expected_process_id: str | None = None
    data: dict[str, Any] = field(init=False)

    def __post_init__(self) -> None:
        self.data = self.doc.data

    def problem(self, path: DocumentPath, message: str, *, at_value: bool = False) -> Problem:
        locate = self.doc.locate_value if at_value else self.doc.locate
        line, column = locate(path)
        return Problem(self.name, line, column, message, format_path(path))

    @property
    def states(self) -> dict[str, dict[str, Any]]:
        states: dict[str, dict[str, Any]] = self.data["states"]
        return states

    @property
    def transitions(self) -> list[dict[str, Any]]:
        transitions: list[dict[str, Any]] = self.data["transitions"]
        return transitions


def sources_of(transition: dict[str, Any]) -> list[str]:
    """Return the from-states of a transition, which YAML allows as one name or a list."""
    sources = transition["from"]
    return [sources] if isinstance(sources, str) else list(sources)


def invalid_identifier(kind: str, name: str) -> str:
    return _(
        "{kind} name '{name}' is not a valid CEL identifier. Use letters, digits and "
        "underscores, start with a letter, and avoid CEL reserved words."
    ).format(kind=kind, name=name)
