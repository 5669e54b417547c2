"""Turn a checked process document into immutable ProcessDefinition objects.

The builder trusts its input: run the JSON Schema and the semantic checks first.
It reads exactly the keys that schemas/process.schema.json declares, and a test
keeps the two in step.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from engine.definition.approval_builder import build_approval
from engine.definition.model import (
    Action,
    EventFieldSpec,
    EventSpec,
    Label,
    NotifyAction,
    ObligationSpec,
    ProcessDefinition,
    SetAction,
    SourceRef,
    StateSpec,
    TaskAction,
    TransitionSpec,
)
from engine.definition.plan_builder import build_plans
from engine.definition.yaml_loader import DocumentPath, LoadedDocument
from engine.expressions import compile_expression, compile_guard


def build_definition(doc: LoadedDocument, name: str) -> ProcessDefinition:
    """Build the definition of `doc`, whose file is called `name` in messages and refs."""
    data = doc.data
    states = {state: _state(doc, name, state, spec) for state, spec in data["states"].items()}
    transitions = tuple(
        _transition(doc, name, index, spec) for index, spec in enumerate(data["transitions"])
    )
    roles = {role: _label(label) for role, label in data["roles"].items()}

    return ProcessDefinition(
        process_id=data["process"],
        version=data["version"],
        title=_label(data["title"]),
        roles=MappingProxyType(roles),
        data_schema=copy.deepcopy(data["data"]),
        states=MappingProxyType(states),
        transitions=transitions,
        content_hash=hashlib.sha256(doc.raw).hexdigest(),
        source_text=doc.text,
        source_name=name,
        description=_optional_label(data.get("description")),
        raw=data,
        events=MappingProxyType(
            {event: _event(doc, name, event, spec) for event, spec in data.get("events", {}).items()}
        ),
        obligations=MappingProxyType(
            {
                obligation: _obligation(doc, name, obligation, spec)
                for obligation, spec in data.get("obligations", {}).items()
            }
        ),
        contingency_plans=build_plans(doc, name, data.get("contingency_plans", {})),
    )


def _label(label: Mapping[str, str]) -> Label:
    return MappingProxyType({"en": label["en"], "zh-CN": label["zh-CN"]})


def _optional_label(label: Mapping[str, str] | None) -> Label | None:
    return None if label is None else _label(label)


def _source(doc: LoadedDocument, name: str, path: DocumentPath) -> SourceRef:
    line, column = doc.locate(path)
    return SourceRef(name, line, column)


def _state(doc: LoadedDocument, name: str, state: str, spec: Mapping[str, Any]) -> StateSpec:
    return StateSpec(
        name=state,
        label=_label(spec["label"]),
        initial=bool(spec.get("initial", False)),
        final=bool(spec.get("final", False)),
        description=_optional_label(spec.get("description")),
        source=_source(doc, name, ("states", state)),
        approval=build_approval(doc, name, state, spec.get("approval")),
    )


def _transition(
    doc: LoadedDocument, name: str, index: int, spec: Mapping[str, Any]
) -> TransitionSpec:
    sources = spec["from"]
    guard = spec.get("guard")
    return TransitionSpec(
        trigger=spec["trigger"],
        sources=(sources,) if isinstance(sources, str) else tuple(sources),
        dest=spec["to"],
        roles=tuple(spec.get("roles", ())),
        guard=None if guard is None else compile_guard(guard),
        actions=tuple(action for item in spec.get("actions", ()) for action in _actions(item)),
        auto=bool(spec.get("auto", False)),
        label=_optional_label(spec.get("label")),
        source=_source(doc, name, ("transitions", index)),
    )


def _actions(item: Mapping[str, Any]) -> list[Action]:
    """Build the actions of one YAML action item. A `set` item gives one SetAction per field."""
    fields = item.get("set")
    if fields is not None:
        return [SetAction(field, compile_expression(source)) for field, source in fields.items()]

    task = item.get("task")
    if task is not None:
        return [TaskAction(title=_label(task["title"]), role=task["role"], due=task.get("due"))]

    notify = item["notify"]
    return [
        NotifyAction(
            role=notify["role"],
            subject=_label(notify["subject"]),
            body=_optional_label(notify.get("body")),
        )
    ]


def _event(doc: LoadedDocument, name: str, event: str, spec: Mapping[str, Any]) -> EventSpec:
    fields = {
        field_name: EventFieldSpec(
            name=field_name,
            type=field_spec["type"],
            required=bool(field_spec.get("required", False)),
            label=_optional_label(field_spec.get("label")),
        )
        for field_name, field_spec in spec.get("fields", {}).items()
    }
    return EventSpec(
        name=event,
        label=_label(spec["label"]),
        fields=MappingProxyType(fields),
        description=_optional_label(spec.get("description")),
        source=_source(doc, name, ("events", event)),
    )


def _obligation(
    doc: LoadedDocument, name: str, obligation: str, spec: Mapping[str, Any]
) -> ObligationSpec:
    return ObligationSpec(
        name=obligation,
        label=_label(spec["label"]),
        kind=spec["kind"],
        amount=compile_expression(spec["amount"]),
        due=compile_expression(spec["due"]),
        settled_by=spec["settled_by"],
        amount_field=spec.get("amount_field", "amount"),
        description=_optional_label(spec.get("description")),
        source=_source(doc, name, ("obligations", obligation)),
        remind=tuple(spec.get("remind", ())),
        remind_to=tuple(spec.get("remind_to", ())),
    )
