"""Strict YAML loading for Lvyue's input files, with the line and column of every value.

Process, org and mapping files all load through `load_yaml_text`. Only `true` and
`false` are booleans. Only plain decimal numerals are numbers, and `1.5` loads as
Decimal, never float. `null` and `~` are null. Everything else (`yes`, `on`, `0755`,
`2026-03-01`) stays the string it was written as, and mapping keys are always strings.

Duplicate keys, tags that would construct objects, oversized documents, alias bombs,
deep nesting and alias cycles are rejected before any schema work, as a
DefinitionError that carries file:line.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.nodes import Node

from engine.definition.schema_errors import validate_with_schema
from engine.definition.yaml_nodes import DocumentBuilder, DocumentPath, LimitError, StrictLoader
from engine.errors import DefinitionError, NotFoundError, Problem
from engine.i18n import _

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_NODES = 100_000
DEFAULT_MAX_DEPTH = 100


@dataclass(frozen=True)
class LoadedDocument:
    """The data of one YAML document and where each value was written (1-based)."""

    name: str
    data: Any
    raw: bytes = field(repr=False)
    positions: Mapping[DocumentPath, tuple[int, int]] = field(repr=False)
    key_positions: Mapping[DocumentPath, tuple[int, int]] = field(repr=False)

    @property
    def text(self) -> str:
        return self.raw.decode("utf-8-sig")

    def locate(self, path: DocumentPath) -> tuple[int, int]:
        """Return (line, column) of the value at `path`, or of its nearest known parent.

        A mapping entry is located at its key, which is where a reader looks for it.
        """
        path = tuple(path)
        while path:
            position = self.key_positions.get(path) or self.positions.get(path)
            if position is not None:
                return position
            path = path[:-1]
        return self.positions.get((), (1, 1))

    def sub_document(self, prefix: DocumentPath) -> LoadedDocument:
        """Return the document below `prefix`, with paths relative to it."""
        prefix = tuple(prefix)
        data = self.data
        for part in prefix:
            data = data[part]
        size = len(prefix)

        def shift(
            positions: Mapping[DocumentPath, tuple[int, int]],
        ) -> dict[DocumentPath, tuple[int, int]]:
            return {
                path[size:]: place for path, place in positions.items() if path[:size] == prefix
            }

        return LoadedDocument(
            self.name, data, self.raw, shift(self.positions), shift(self.key_positions)
        )

    def locate_value(self, path: DocumentPath) -> tuple[int, int]:
        """Return (line, column) where the value at `path` itself starts."""
        return self.positions.get(tuple(path)) or self.locate(path)


def load_yaml_text(
    text: str | bytes,
    name: str,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> LoadedDocument:
    """Load one YAML document under Lvyue's scalar rules and limits.

    `name` is the file name used in messages. Raises DefinitionError listing every
    problem found, each with file:line:column.
    """
    raw = text.encode("utf-8") if isinstance(text, str) else bytes(text)
    _check_size(raw, name, max_bytes)
    source = _decode(raw, name)

    root = _compose(source, name, max_nodes, max_depth)
    builder = DocumentBuilder(name)
    data = builder.build(root, ()) if root is not None else None
    if builder.problems:
        problems = sorted(builder.problems.values(), key=lambda p: (p.line or 0, p.column or 0))
        raise DefinitionError(problems)
    return LoadedDocument(name, data, raw, builder.positions, builder.key_positions)


def load_yaml_file(
    path: str | Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_nodes: int = DEFAULT_MAX_NODES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> LoadedDocument:
    """Read and load a YAML file; see load_yaml_text. A missing file raises NotFoundError."""
    path = Path(path)
    try:
        with path.open("rb") as stream:
            raw = stream.read(max_bytes + 1)
            if len(raw) > max_bytes:
                raw += stream.read()
    except FileNotFoundError:
        raise NotFoundError(_("file {path} not found. Check the path.").format(path=path)) from None
    except OSError as exc:
        problem = Problem(
            str(path),
            None,
            None,
            _("cannot read the file: {reason}").format(reason=exc.strerror or exc),
        )
        raise DefinitionError([problem]) from None
    return load_yaml_text(
        raw, str(path), max_bytes=max_bytes, max_nodes=max_nodes, max_depth=max_depth
    )


def _compose(source: str, name: str, max_nodes: int, max_depth: int) -> Node | None:
    """Parse `source` into its node graph, checking nesting and node limits on the way."""
    loader: StrictLoader | None = None
    try:
        loader = StrictLoader(source, max_nodes=max_nodes, max_depth=max_depth)
        return loader.get_single_node()
    except LimitError as exc:
        raise DefinitionError([_problem_at(name, exc.mark, exc.message)]) from None
    except yaml.MarkedYAMLError as exc:
        raise DefinitionError([_syntax_problem(name, exc)]) from None
    except yaml.reader.ReaderError as exc:
        line = source.count("\n", 0, exc.position) + 1
        message = _("character {code} is not allowed in YAML. Remove it.").format(
            code=f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        )
        raise DefinitionError([Problem(name, line, None, message)]) from None
    finally:
        if loader is not None:
            loader.dispose()


def _check_size(raw: bytes, name: str, max_bytes: int) -> None:
    if len(raw) <= max_bytes:
        return
    line = raw[:max_bytes].count(b"\n") + 1
    message = _(
        "file is {size} bytes, over the limit of {limit} bytes, which it passes on "
        "this line. Make the file smaller."
    ).format(size=len(raw), limit=max_bytes)
    raise DefinitionError([Problem(name, line, None, message)])


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = _("the file is not valid UTF-8 (byte 0x{byte:02x}). Save it as UTF-8.").format(
            byte=raw[exc.start]
        )
        raise DefinitionError([Problem(name, line, None, message)]) from None


def _problem_at(name: str, mark: Any, message: str) -> Problem:
    """Locate a problem at a PyYAML mark (0-based line and column), if there is one."""
    if mark is None:
        return Problem(name, None, None, message)
    return Problem(name, mark.line + 1, mark.column + 1, message)


def _syntax_problem(name: str, error: yaml.MarkedYAMLError) -> Problem:
    mark = error.problem_mark or error.context_mark
    if error.context == "expected a single document in the stream" and mark is not None:
        message = _(
            "the file holds more than one YAML document. Keep one and remove the "
            "'---' line that starts the next."
        )
        return _problem_at(name, mark, message)
    detail = error.problem or error.context or str(error)
    if error.context and error.context_mark is not None and error.problem:
        detail = f"{detail} ({error.context} at line {error.context_mark.line + 1})"
    message = _("invalid YAML: {detail}. Check indentation, colons and quotes here.").format(
        detail=detail
    )
    if mark is None:
        return Problem(name, None, None, message)
    return _problem_at(name, mark, message)


__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_DEPTH",
    "DEFAULT_MAX_NODES",
    "DocumentPath",
    "LoadedDocument",
    "StrictLoader",
    "load_yaml_file",
    "load_yaml_text",
    "validate_with_schema",
]
