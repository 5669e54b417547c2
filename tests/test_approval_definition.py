"""Approvals in process files: schema, semantic checks with file:line, and the built model."""

from __future__ import annotations

from typing import Any

import pytest

from engine.definition import load_definition_text, process_schema
from engine.definition.builder import build_definition
from engine.definition.model import ApprovalLevel
from engine.definition.yaml_loader import load_yaml_text
from tests.approval_helpers import process_text
from tests.definition_helpers import line_of, problems_of, variant
from tests.test_definition_checks import record, schema_keys

FULL_LEVELS = """\
        - role: legal
          quorum: all
          deadline: P3D
          escalate: {notify: cfo}
          label: {en: Legal review, zh-CN: 法务审核}
        - roles: [finance, board]
          quorum: 2
          deadline: {working_days: 2}
          escalate: {add_approver: cfo}
        - role: cfo
          when: 'money_ge(data.amount, "1000000")'
"""
LEGAL_ONLY = "        - {role: legal}\n"


def problems(text: str) -> list[str]:
    return [f"{p.line}: {p.message}" for p in problems_of(load_definition_text, text,
                                                           "approval_test.yaml")]


def test_builder_fills_approval() -> None:
    definition = load_definition_text(process_text(FULL_LEVELS), "approval_test.yaml")

    approval = definition.states["approval"].approval
    assert approval is not None
    assert (approval.approved, approval.rejected, approval.withdrawn) == (
        "approve_done", "send_back", "withdraw")
    legal, countersign, cfo = approval.levels
    assert legal == ApprovalLevel(("legal",), "all", None, "P3D", None, "cfo", None,
                                  {"en": "Legal review", "zh-CN": "法务审核"}, legal.source)
    assert (countersign.roles, countersign.quorum, countersign.working_days,
            countersign.add_approver) == (("finance", "board"), 2, 2, "cfo")
    assert cfo.quorum == "any"
    assert cfo.when is not None and cfo.when.source == 'money_ge(data.amount, "1000000")'
    assert legal.source is not None
    assert legal.source.line == line_of(process_text(FULL_LEVELS), "- role: legal")
    assert definition.states["draft"].approval is None


def test_builder_reads_exactly_the_approval_keys() -> None:
    doc = load_yaml_text(process_text(FULL_LEVELS), "approval_test.yaml")
    reads: set[tuple[Any, ...]] = set()
    recorded = type(doc)(doc.name, record(doc.data, (), reads), doc.raw, doc.positions,
                         doc.key_positions)
    build_definition(recorded, "approval_test.yaml")

    def read_at(path: tuple[Any, ...]) -> set[str]:
        return {r[len(path)] for r in reads if r[: len(path)] == path and len(r) == len(path) + 1}

    defs = process_schema()["$defs"]
    approval = ("states", "approval", "approval")
    levels = (*approval, "levels")
    assert read_at(approval) == schema_keys(defs["approval"])
    assert read_at((*levels, 0)) | read_at((*levels, 1)) == schema_keys(defs["approval_level"])
    assert read_at((*levels, 0, "escalate")) | read_at((*levels, 1, "escalate")) == (
        schema_keys(defs["approval_escalation"]))


def test_outcome_must_leave_the_state() -> None:
    text = variant("approved: approve_done", "approved: close", process_text(LEGAL_ONLY))

    assert problems(text) == [
        (f"{line_of(text, 'approved: close')}: approval of state 'approval' names approved "
        "outcome 'close', but no transition with that trigger leaves 'approval'. Add the "
        "transition or fix the name."),
        (f"{line_of(text, 'trigger: approve_done')}: nothing can fire transition "
        "'approve_done': it has no roles and is not automatic. Add roles or auto: true with a "
        "guard."),
    ]


def test_outcome_fired_by_hand_is_rejected() -> None:
    text = variant("  - {trigger: approve_done, from: approval, to: active}",
                   "  - {trigger: approve_done, from: approval, to: active, roles: [legal]}",
                   process_text(LEGAL_ONLY))

    assert problems(text) == [
        (f"{line_of(text, 'approved: approve_done')}: approved outcome 'approve_done' of state "
        "'approval' has roles or auto: true, so it could be taken without the approval. Remove "
        "roles and auto from that transition; the engine fires it.")]


def test_same_outcome_for_approved_and_rejected() -> None:
    text = variant("rejected: send_back", "rejected: approve_done", process_text(LEGAL_ONLY))

    assert problems(text) == [
        (f"{line_of(text, 'rejected: approve_done')}: approval of state 'approval' names "
        "'approve_done' both for approved and for rejected. Name two different transitions."),
        (f"{line_of(text, 'trigger: send_back')}: nothing can fire transition 'send_back': it "
        "has no roles and is not automatic. Add roles or auto: true with a guard."),
    ]


@pytest.mark.parametrize("level", [
    "        - {quorum: any}\n",
    "        - {role: legal, roles: [legal, finance]}\n",
])
def test_level_needs_role_or_roles(level: str) -> None:
    text = process_text(level)

    assert problems(text) == [
        (f"{line_of(text, 'quorum: any' if 'quorum' in level else 'roles: [legal')}: an "
        "approval level needs either role (one role) or roles (a countersign by several "
        "roles), not both and not neither.")]


def test_undeclared_level_and_escalation_roles() -> None:
    text = process_text("        - {role: lawyer, deadline: P1D, escalate: {notify: ceo}}\n")
    known = "sales, legal, finance, board, cfo"

    assert problems(text) == [
        (f"{line_of(text, 'role: lawyer')}: role 'lawyer' is not declared. Add it under roles "
        f"or use one of: {known}."),
        (f"{line_of(text, 'role: lawyer')}: role 'ceo' is not declared. Add it under roles or "
        f"use one of: {known}."),
    ]


def test_escalation_needs_deadline() -> None:
    text = process_text("        - {role: legal, escalate: {notify: cfo}}\n")

    assert problems(text) == [
        (f"{line_of(text, 'escalate')}: an escalation needs a deadline to start from. Add a "
        "deadline such as P3D, or working_days: 3 under deadline, to this level.")]


def test_every_level_conditional_is_rejected() -> None:
    text = process_text("        - {role: legal, when: 'data.note == \"x\"'}\n")

    assert problems(text) == [
        (f"{line_of(text, 'levels:')}: every level of the approval of state 'approval' has a "
        "when, so a round could have no level at all. Remove when from at least one level.")]


def test_level_when_is_checked_like_a_guard() -> None:
    text = process_text("        - {role: legal}\n"
                        "        - {role: cfo, when: 'money_ge(data.total, \"1\")'}\n")

    assert problems(text) == [
        (f"{line_of(text, 'data.total')}: field data.total in 'money_ge(data.total, \"1\")' is "
        "not declared in the data schema. Declare it under data.properties or fix the name.")]


def test_approval_on_initial_state_is_rejected() -> None:
    text = variant("  draft: {initial: true, label: {en: Draft, zh-CN: 草稿}}",
                   "  draft:\n    initial: true\n    label: {en: Draft, zh-CN: 草稿}\n"
                   "    approval: {levels: [{role: legal}], approved: submit, rejected: submit, "
                   "withdrawn: submit}", process_text(LEGAL_ONLY))

    found = problems(text)

    assert (f"{line_of(text, 'approval: {levels')}: state 'draft' carries an approval but is "
            "initial or final. A round starts when a contract enters the state by a transition, "
            "so move the approval to a state in between.") in found


def test_automatic_exit_from_approval_is_rejected() -> None:
    text = variant("  - {trigger: close, from: active, to: closed, roles: [sales]}",
                   "  - {trigger: close, from: active, to: closed, roles: [sales]}\n"
                   "  - {trigger: skip, from: approval, to: active, auto: true, "
                   "guard: 'data.note == \"x\"'}", process_text(LEGAL_ONLY))

    assert problems(text) == [
        (f"{line_of(text, 'trigger: skip')}: automatic transition 'skip' leaves state "
        "'approval', which carries an approval, so it could skip the approval. Leave the state "
        "through the approval outcomes instead.")]


@pytest.mark.parametrize(("old", "new"), [
    ("{role: legal}", "{role: legal, quorum: 0}"),
    ("{role: legal}", "{role: legal, quorum: most}"),
    ("{role: legal}", "{role: legal, deadline: PT4H}"),
    ("{role: legal}", "{role: legal, deadline: {working_days: 0}}"),
    ("{role: legal}", "{role: legal, deadline: P1D, escalate: {notify: cfo, add_approver: cfo}}"),
])
def test_schema_rejects_bad_level_values(old: str, new: str) -> None:
    text = variant(old, new, process_text(LEGAL_ONLY))

    found = problems(text)

    assert len(found) == 1
    assert found[0].startswith(f"{line_of(text, new)}: ")
