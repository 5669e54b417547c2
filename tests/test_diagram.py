"""Tests for Mermaid diagrams of process definitions."""

from __future__ import annotations

from dataclasses import replace

from engine.definition import find_shipped_process, load_definition, load_definition_text
from engine.definition.diagram import to_mermaid
from tests.definition_helpers import MINIMAL_PROCESS, variant

WITH_AUTO = variant(
    "    roles: [legal]\n",
    "    auto: true\n    guard: 'has(data.approved_on) && money_ge(data.amount, \"1000000\")'\n",
)


def test_mermaid_of_minimal_process() -> None:
    definition = load_definition_text(MINIMAL_PROCESS, "sample.yaml")
    assert to_mermaid(definition, "en") == (
        "stateDiagram-v2\n"
        "    %% sample v1\n"
        '    state "Draft" as draft\n'
        '    state "In approval" as approval\n'
        '    state "Archived" as archived\n'
        "    [*] --> draft\n"
        "    draft --> approval: submit [money_gt(data.amount, #quot;0#quot;)] (Sales manager)\n"
        "    approval --> archived: approve (Legal counsel)\n"
        "    archived --> [*]\n"
    )


def test_mermaid_uses_chinese_labels() -> None:
    definition = load_definition_text(MINIMAL_PROCESS, "sample.yaml")
    diagram = to_mermaid(definition, "zh-CN")
    assert '    state "草稿" as draft\n' in diagram
    assert "    approval --> archived: approve (法务)\n" in diagram


def test_mermaid_accepts_posix_locale_name() -> None:
    definition = load_definition_text(MINIMAL_PROCESS, "sample.yaml")
    assert '"审批中"' in to_mermaid(definition, "zh_CN.UTF-8")


def test_mermaid_marks_auto_and_shortens_guard() -> None:
    definition = load_definition_text(WITH_AUTO, "sample.yaml")
    diagram = to_mermaid(definition, "en")
    assert (
        "    approval --> archived: approve [has(data.approved_on) && money_…] (auto)\n" in diagram
    )


def test_mermaid_one_edge_per_source_state() -> None:
    definition = load_definition(find_shipped_process("customer_contract"))
    diagram = to_mermaid(definition, "en")
    assert "    breach --> terminated: terminate (Legal counsel)\n" in diagram
    assert "    remediation --> terminated: terminate (Legal counsel)\n" in diagram


def test_mermaid_escapes_label_syntax() -> None:
    text = variant(
        "label: {en: Draft, zh-CN: 草稿}", 'label: {en: "Draft; \\"new\\" #1", zh-CN: 草稿}'
    )
    definition = load_definition_text(text, "sample.yaml")
    assert '    state "Draft#59; #quot;new#quot; #35;1" as draft\n' in to_mermaid(definition, "en")


def test_mermaid_marks_engine_only_transition() -> None:
    definition = load_definition_text(MINIMAL_PROCESS, "sample.yaml")
    approve = replace(definition.transitions[1], roles=())
    definition = replace(definition, transitions=(definition.transitions[0], approve))
    assert "    approval --> archived: approve (engine only)\n" in to_mermaid(definition, "en")
