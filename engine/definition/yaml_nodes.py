"""The YAML node level of strict loading: composing under limits and building data.

`StrictLoader` composes the node graph and rejects deep nesting, alias bombs and
alias cycles as it goes. `DocumentBuilder` turns the nodes into plain data under
Lvyue's scalar rules and records where each value was written.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from engine.errors import Problem
from engine.i18n import _

DocumentPath = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + name for name in ("str", "int", "float", "bool", "null"))
_MAP, _SEQ, _MERGE = _TAG + "map", _TAG + "seq", _TAG + "merge"
_INTEGER = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)$")
_DECIMAL = re.compile(r"^[-+]?(?:0|[1-9][0-9]*)\.[0-9]+$")
_NULL_TEXTS = ("", "~", "null")


class StrictLoader(yaml.SafeLoader):
    """A SafeLoader with Lvyue's scalar rules and limits checked while composing.

    Only the node graph is used: `DocumentBuilder` turns it into data, so
    PyYAML's own constructors (and their tags) never run.
    """

    # PyYAML reads resolvers from this class attribute; starting empty drops its YAML 1.1
    # rules (yes/no booleans, sexagesimal ints, timestamps) in favour of the ones below.
    yaml_implicit_resolvers: dict[Any, Any] = {}  # noqa: RUF012

    def __init__(self, stream: str, max_nodes: int, max_depth: int) -> None:
        super().__init__(stream)
        self.max_nodes = max_nodes
        self.max_depth = max_depth
        self._depth = 0
        self._expanded_nodes = 0
        self._sizes: dict[int, int] = {}
        self._heights: dict[int, int] = {}

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent):
            self._check_alias(event)
            return super().compose_node(parent, index)

        self._depth += 1
        try:
            self._check_depth(self._depth, event.start_mark)
            self._count_nodes(1, event.start_mark)
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
        if node is None:
            return None

        children = list(_children(node))
        self._sizes[id(node)] = 1 + sum(self._sizes[id(child)] for child in children)
        self._heights[id(node)] = 1 + max((self._heights[id(c)] for c in children), default=0)
        return node

    def _check_alias(self, event: yaml.AliasEvent) -> None:
        target = self.anchors.get(event.anchor)
        if target is None:
            return  # PyYAML reports the undefined alias itself
        if id(target) not in self._sizes:
            raise LimitError(
                event.start_mark,
                _(
                    "alias *{anchor} refers to a node that contains it (an alias cycle). "
                    "Replace the alias with the values it should repeat."
                ).format(anchor=event.anchor),
            )
        self._check_depth(self._depth + self._heights[id(target)], event.start_mark)
        self._count_nodes(self._sizes[id(target)], event.start_mark)

    def _check_depth(self, depth: int, mark: Any) -> None:
        if depth > self.max_depth:
            raise LimitError(
                mark,
                _("nesting is deeper than {limit} levels. Flatten the structure.").format(
                    limit=self.max_depth
                ),
            )

    def _count_nodes(self, count: int, mark: Any) -> None:
        self._expanded_nodes += count
        if self._expanded_nodes > self.max_nodes:
            raise LimitError(
                mark,
                _(
                    "document has more than {limit} nodes once aliases are expanded. "
                    "Use fewer aliases or split the file."
                ).format(limit=self.max_nodes),
            )


StrictLoader.add_implicit_resolver(_BOOL, re.compile(r"^(?:true|false)$"), list("tf"))
StrictLoader.add_implicit_resolver(_INT, _INTEGER, list("-+0123456789"))
StrictLoader.add_implicit_resolver(_FLOAT, _DECIMAL, list("-+0123456789"))
StrictLoader.add_implicit_resolver(_NULL, re.compile(r"^(?:~|null|)$"), ["~", "n", ""])
StrictLoader.add_implicit_resolver(_MERGE, re.compile(r"^<<$"), ["<"])


class LimitError(Exception):
    """A nesting or node-count limit passed, or an alias cycle, found at `mark` while composing."""

    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


def _children(node: Node) -> list[Node]:
    if isinstance(node, SequenceNode):
        return list(node.value)
    if isinstance(node, MappingNode):
        return [item for pair in node.value for item in pair]
    return []


def _position(node: Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1


class DocumentBuilder:
    """Turn a composed node graph into plain data, recording every position."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.positions: dict[DocumentPath, tuple[int, int]] = {}
        self.key_positions: dict[DocumentPath, tuple[int, int]] = {}
        self.problems: dict[tuple[int, int, str], Problem] = {}

    def report(self, node: Node, message: str) -> None:
        line, column = _position(node)
        self.problems.setdefault((line, column, message), Problem(self.name, line, column, message))

    def build(self, node: Node, path: DocumentPath) -> Any:
        self.positions.setdefault(path, _position(node))
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        if not self.check_tag(node, _SEQ if isinstance(node, SequenceNode) else _MAP):
            return None
        if isinstance(node, SequenceNode):
            return [self.build(child, (*path, index)) for index, child in enumerate(node.value)]
        assert isinstance(node, MappingNode)
        return self.mapping(node, path)

    def check_tag(self, node: Node, expected: str) -> bool:
        if node.tag == expected:
            return True
        shown = node.tag.replace(_TAG, "!!", 1) if node.tag.startswith(_TAG) else node.tag
        self.report(
            node,
            _(
                "YAML tag '{tag}' is not allowed: Lvyue files hold plain data only. Remove the tag."
            ).format(tag=shown),
        )
        return False

    def scalar(self, node: ScalarNode) -> Any:
        tag, text = node.tag, node.value
        if tag == _STR:
            return text
        if tag == _INT and _INTEGER.match(text):
            return int(text)
        if tag == _FLOAT and (_DECIMAL.match(text) or _INTEGER.match(text)):
            return Decimal(text)
        if tag == _BOOL and text in ("true", "false"):
            return text == "true"
        if tag == _NULL and text in _NULL_TEXTS:
            return None
        if tag in (_INT, _FLOAT, _BOOL, _NULL):
            self.report(
                node,
                _(
                    "value '{value}' does not fit its tag '{tag}'. Remove the tag or fix the value."
                ).format(value=text, tag=tag.replace(_TAG, "!!", 1)),
            )
            return text
        self.check_tag(node, _STR)
        return text

    def mapping(self, node: MappingNode, path: DocumentPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        first_seen: dict[str, tuple[int, bool]] = {}  # key -> (line, came through a merge)
        for key_node, value_node, merge_node in self.entries(node, set()):
            key = self.key(key_node)
            if key is None:
                continue
            place = merge_node or key_node
            if key in first_seen:
                first_line, first_merged = first_seen[key]
                merged = first_merged or merge_node is not None
                self.report_duplicate(place, key, first_line, merged)
                continue
            first_seen[key] = (_position(place)[0], merge_node is not None)
            self.key_positions[(*path, key)] = _position(key_node)
            result[key] = self.build(value_node, (*path, key))
        return result

    def report_duplicate(self, node: Node, key: str, first_line: int, merged: bool) -> None:
        if merged:
            message = _(
                "duplicate key '{key}' through the merge key '<<' (first set at line "
                "{line}). Remove or rename one of them."
            )
        else:
            message = _(
                "duplicate key '{key}' (first set at line {line}). Remove or rename one of them."
            )
        self.report(node, message.format(key=key, line=first_line))

    def key(self, node: Node) -> str | None:
        if not isinstance(node, ScalarNode):
            self.report(node, _("a mapping key must be a plain value, not a list or mapping."))
            return None
        if node.tag not in (_STR, _INT, _FLOAT, _BOOL, _NULL) and not self.check_tag(node, _STR):
            return None
        return str(node.value)

    def entries(
        self, node: MappingNode, seen: set[int], via: Node | None = None
    ) -> list[tuple[Node, Node, Node | None]]:
        """List (key, value, merge key it came through) with `<<` merges expanded in place."""
        entries: list[tuple[Node, Node, Node | None]] = []
        seen = seen | {id(node)}
        for key_node, value_node in node.value:
            if not (isinstance(key_node, ScalarNode) and key_node.tag == _MERGE):
                entries.append((key_node, value_node, via))
                continue
            sources = value_node.value if isinstance(value_node, SequenceNode) else [value_node]
            for source in sources:
                if not isinstance(source, MappingNode) or id(source) in seen:
                    self.report(
                        key_node,
                        _("the merge key '<<' needs an alias of a mapping, or a list of them."),
                    )
                    continue
                entries.extend(self.entries(source, seen, via or key_node))
        return entries
