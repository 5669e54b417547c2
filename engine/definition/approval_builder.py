"""Build the approval of a state from its checked YAML mapping."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from engine.definition.model import ApprovalLevel, ApprovalSpec, SourceRef
from engine.definition.yaml_loader import LoadedDocument
from engine.expressions import compile_guard


def build_approval(doc: LoadedDocument, name: str, state: str,
                   spec: Mapping[str, Any] | None) -> ApprovalSpec | None:
    """Return the ApprovalSpec of `state`, or None when the state has no approval."""
    if spec is None:
        return None
    levels = tuple(_level(doc, name, ("states", state, "approval", "levels", index), level)
                   for index, level in enumerate(spec["levels"]))
    return ApprovalSpec(levels=levels, approved=spec["approved"], rejected=spec["rejected"],
                        withdrawn=spec["withdrawn"])


def _level(doc: LoadedDocument, name: str, path: tuple[Any, ...],
           spec: Mapping[str, Any]) -> ApprovalLevel:
    role = spec.get("role")
    roles = (role,) if role is not None else tuple(spec.get("roles", ()))
    when = spec.get("when")
    deadline = spec.get("deadline")
    escalate = spec.get("escalate") or {}
    label = spec.get("label")
    line, column = doc.locate(path)

    return ApprovalLevel(
        roles=roles,
        quorum=spec.get("quorum", "any"),
        when=None if when is None else compile_guard(when),
        deadline=deadline if isinstance(deadline, str) else None,
        working_days=deadline["working_days"] if isinstance(deadline, Mapping) else None,
        notify=escalate.get("notify"),
        add_approver=escalate.get("add_approver"),
        label=None if label is None else MappingProxyType({"en": label["en"],
                                                           "zh-CN": label["zh-CN"]}),
        source=SourceRef(name, line, column),
    )
