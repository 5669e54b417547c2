"""Build the contingency plans of a checked process document (see plan_model.py)."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from engine.definition.model import Label, SourceRef, TaskAction
from engine.definition.plan_model import ContingencyPlanSpec, EscalationStep
from engine.definition.yaml_loader import LoadedDocument
from engine.expressions import compile_guard


def build_plans(doc: LoadedDocument, name: str,
                plans: Mapping[str, Any]) -> Mapping[str, ContingencyPlanSpec]:
    """Return the plans by id, in file order."""
    built = {plan_id: _plan(doc, name, plan_id, spec) for plan_id, spec in plans.items()}
    return MappingProxyType(built)


def _plan(doc: LoadedDocument, name: str, plan_id: str,
          spec: Mapping[str, Any]) -> ContingencyPlanSpec:
    when = spec.get("when")
    closes_when = spec.get("closes_when")
    description = spec.get("description")
    line, column = doc.locate(("contingency_plans", plan_id))
    return ContingencyPlanSpec(
        plan_id=plan_id,
        risk=_label(spec["risk"]),
        severity=spec["severity"],
        owner=spec["owner"],
        contacts=tuple(spec.get("contacts", ())),
        when=None if when is None else compile_guard(when),
        on=spec.get("on"),
        states=tuple(spec.get("in", ())),
        fire=spec.get("fire"),
        measures=tuple(_task(item) for item in spec.get("measures", ())),
        escalate=tuple(_step(index, item) for index, item in enumerate(spec.get("escalate", ()))),
        closes_when=None if closes_when is None else compile_guard(closes_when),
        description=None if description is None else _label(description),
        source=SourceRef(name, line, column),
    )


def _step(index: int, spec: Mapping[str, Any]) -> EscalationStep:
    task = spec.get("task")
    return EscalationStep(
        index=index,
        after=spec["after"],
        notify=spec.get("notify"),
        task=None if task is None else _task(task),
        fire=spec.get("fire"),
    )


def _task(spec: Mapping[str, Any]) -> TaskAction:
    return TaskAction(title=_label(spec["title"]), role=spec["role"], due=spec.get("due"))


def _label(label: Mapping[str, str]) -> Label:
    return MappingProxyType({"en": label["en"], "zh-CN": label["zh-CN"]})
