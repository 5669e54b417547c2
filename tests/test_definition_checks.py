"""Tests for loading process definitions: schema stage, semantic checks and building."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from engine import PROCESSES_DIR
from engine.definition import (
    find_shipped_process,
    load_definition,
    load_definition_text,
    process_schema,
    shipped_process_ids,
)
from engine.definition.builder import build_definition
from engine.definition.model import NotifyAction, SetAction, TaskAction
from engine.definition.yaml_loader import load_yaml_text
from engine.errors import DefinitionError, ExitCode, NotFoundError
from tests.definition_helpers import MINIMAL_PROCESS, line_of, problems_of, variant


def messages(text: str, name: str = "sample.yaml") -> list[str]:
    """Load `text`, expect a DefinitionError, and return its problems as file:line:col: msg."""
    return [str(p) for p in problems_of(load_definition_text, text, name)]


def at(text: str, marker: str, column: int | str, message: str, occurrence: int = 1) -> str:
    """Format the expected problem on the line of `text` that contains `marker`.

    `column` is a number, or text on that line whose first character is the column.
    """
    line = line_of(text, marker, occurrence)
    if isinstance(column, str):
        column = text.splitlines()[line - 1].index(column) + 1
    return f"sample.yaml:{line}:{column}: {message}"


# --- the shipped processes ------------------------------------------------------------


@pytest.mark.parametrize(
    "process_id", ["customer_contract", "framework_agreement", "procurement_contract"]
)
def test_shipped_process_is_valid(process_id: str) -> None:
    path = find_shipped_process(process_id)
    definition = load_definition(path)
    assert definition.process_id == process_id
    assert definition.initial_state == "draft"
    assert definition.content_hash == hashlib.sha256(path.read_bytes()).hexdigest()


def test_shipped_process_ids() -> None:
    assert shipped_process_ids() == [
        "customer_contract", "framework_agreement", "invoice_payment", "procurement_contract",
    ]  # fmt: skip


def test_shipped_processes_point_editors_at_schema() -> None:
    for path in PROCESSES_DIR.glob("*.yaml"):
        first_line = path.read_text(encoding="utf-8").splitlines()[0]
        assert first_line == "# yaml-language-server: $schema=../schemas/process.schema.json"


def test_customer_contract_lifecycle() -> None:
    definition = load_definition(find_shipped_process("customer_contract"))
    assert list(definition.states) == [
        "draft", "approval", "execution", "breach", "remediation", "completed", "terminated",
        "archived",
    ]  # fmt: skip
    assert [s.name for s in definition.states.values() if s.final] == ["archived"]
    assert definition.triggers_from("approval") == [
        "withdraw", "start_execution", "return_to_draft",
    ]  # fmt: skip
    assert definition.roles["cfo"]["zh-CN"] == "财务总监"
    submit = definition.transitions_for("submit", "draft")[0]
    assert submit.guard is not None and submit.guard.source == 'money_gt(data.amount, "0")'
    approved = definition.transitions_for("start_execution", "approval")[0]
    assert approved.engine_only
    assert approved.actions[0] == SetAction("approved_on", approved.actions[0].expression)
    assert approved.actions[0].expression.source == "today"
    assert isinstance(approved.actions[1], NotifyAction) and approved.actions[1].role == "sales"


def test_find_unknown_process_is_not_found() -> None:
    with pytest.raises(NotFoundError) as caught:
        find_shipped_process("../secrets")
    assert caught.value.message == (
        "process '../secrets' is not shipped with Lvyue. "
        "Shipped processes: customer_contract, framework_agreement, invoice_payment, "
        "procurement_contract."
    )
    assert caught.value.exit_code == ExitCode.NOT_FOUND


def test_minimal_process_is_valid() -> None:
    definition = load_definition_text(MINIMAL_PROCESS, "sample.yaml")
    assert definition.process_id == "sample"


# --- pipeline stages ---------------------------------------------------------------


def test_schema_stage_reports_all_errors() -> None:
    text = variant("version: 1", "version: one")
    text = variant("    to: approval\n", "    to: approval\n    guards: 'true'\n", text)
    text = variant(
        "  legal: {en: Legal counsel, zh-CN: 法务}", "  legal: {en: Legal counsel}", text
    )
    assert messages(text) == [
        at(text, "version: one", 1, "version must be an integer, not 'one' (string)."),
        at(text, "legal: {en", 3, "missing key 'zh-CN' in roles.legal. Add it."),
        at(
            text,
            "guards:",
            5,
            "unknown key 'guards' in transitions[0]. Did you mean 'guard'? "
            "Allowed keys: actions, auto, from, guard, label, roles, to, trigger.",
        ),
    ]


def test_schema_errors_stop_before_semantic_checks() -> None:
    text = variant("version: 1", "version: 0")
    text = variant("    to: approval", "    to: nowhere", text)
    assert messages(text) == [at(text, "version: 0", 1, "version is 0, but must be at least 1.")]


def test_schema_rejects_invalid_state_name() -> None:
    text = variant("  approval:\n", "  Approval:\n")
    assert messages(text) == [
        at(
            text,
            "Approval:",
            3,
            "name 'Approval' in states is not valid. Expected: lowercase "
            "letters, digits and underscores, starting with a letter (snake_case), for example "
            "payment_terms.",
        ),
    ]


def test_schema_rejects_action_with_two_kinds() -> None:
    text = variant(
        "      - set: {approved_on: today}",
        "      - {set: {approved_on: today}, notify: {role: legal, subject: {en: a, zh-CN: b}}}",
    )
    assert messages(text) == [
        at(
            text,
            "- {set:",
            9,
            "transitions[1].actions[0] must have at most 1 key(s), but has 2: set, notify.",
        ),
    ]


def test_schema_rejects_bad_from_type() -> None:
    text = variant("    from: draft", "    from: 5")
    assert messages(text) == [
        at(text, "from: 5", 5, "transitions[0].from must be a string or a list, not 5 (integer)."),
    ]


def test_schema_rejects_bad_duration() -> None:
    text = variant(
        "      - set: {approved_on: today}",
        "      - task: {title: {en: Review, zh-CN: 审核}, role: legal, due: 3 days}",
    )
    assert messages(text) == [
        at(
            text,
            "due: 3 days",
            "due:",
            "transitions[1].actions[0].task.due is '3 days', which is "
            "not valid. Expected: an ISO 8601 duration such as P3D (3 days), P2W or PT4H.",
        ),
    ]


def test_process_id_must_match_file_name(tmp_path: Path) -> None:
    path = tmp_path / "other_name.yaml"
    path.write_text(MINIMAL_PROCESS, encoding="utf-8")
    (problem,) = problems_of(load_definition, path)
    assert str(problem) == (
        f"{path}:1:10: process id 'sample' does not match the file name other_name.yaml. "
        "Rename the file or set process: other_name."
    )


def test_text_load_checks_file_name() -> None:
    load_definition_text(MINIMAL_PROCESS, "other.yaml")
    (problem,) = problems_of(
        load_definition_text, MINIMAL_PROCESS, "other.yaml", check_file_name=True
    )
    assert problem.message.startswith(
        "process id 'sample' does not match the file name other.yaml."
    )


def test_definition_error_exit_code() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_definition_text(variant("version: 1", "version: 0"), "sample.yaml")
    assert caught.value.exit_code == ExitCode.BAD_INPUT


# --- states ------------------------------------------------------------------------------


def test_no_initial_state() -> None:
    text = variant("    initial: true\n", "")
    assert at(
        text,
        "states:",
        1,
        "no state is initial. Mark the state new contracts start in with initial: true.",
    ) in messages(text)


def test_two_initial_states() -> None:
    text = variant("  approval:\n", "  approval:\n    initial: true\n")
    assert messages(text) == [
        at(
            text,
            "initial: true",
            5,
            "state 'approval' is initial, but 'draft' already is. "
            "Exactly one state may be initial.",
            occurrence=2,
        ),
    ]


def test_initial_state_cannot_be_final() -> None:
    text = variant("    initial: true\n", "    initial: true\n    final: true\n")
    assert at(
        text,
        "final: true",
        5,
        "state 'draft' is both initial and final, so a contract "
        "could never move. Remove one of the two.",
    ) in messages(text)


def test_unreachable_state() -> None:
    text = variant(
        "  archived:\n",
        "  lost:\n    label: {en: Lost, zh-CN: 丢失}\n    final: true\n  archived:\n",
    )
    assert messages(text) == [
        at(
            text,
            "  lost:",
            3,
            "state 'lost' cannot be reached from the initial state 'draft'. "
            "Add a transition into it or remove it.",
        ),
    ]


def test_state_without_way_out() -> None:
    text = variant("    final: true\n", "")
    assert messages(text) == [
        at(
            text,
            "  archived:",
            3,
            "state 'archived' has no transition out of it and is not "
            "final. Add a transition from it or mark it final: true.",
        ),
    ]


def test_final_state_with_outgoing_transition() -> None:
    text = MINIMAL_PROCESS + "  - {trigger: reopen, from: archived, to: draft, roles: [legal]}\n"
    assert messages(text) == [
        at(
            text,
            "trigger: reopen",
            "from:",
            "transition 'reopen' leaves final state 'archived'. "
            "Remove the transition or remove final: true.",
        ),
    ]


def test_transition_names_unknown_states() -> None:
    text = variant(
        "    from: draft\n    to: approval", "    from: [draft, drafts]\n    to: aproval"
    )
    known = "Known states: draft, approval, archived."
    found = messages(text)
    assert (
        at(text, "from: [draft", 19, f"transition 'submit' names unknown state 'drafts'. {known}")
        in found
    )
    assert (
        at(text, "to: aproval", 9, f"transition 'submit' names unknown state 'aproval'. {known}")
        in found
    )


# --- roles -------------------------------------------------------------------------------


def test_undeclared_transition_role() -> None:
    text = variant("    roles: [sales]", "    roles: [sales, finance]")
    assert messages(text) == [
        at(
            text,
            "roles: [sales, finance]",
            "finance",
            "role 'finance' is not declared. Add it under roles or use one of: sales, legal.",
        ),
    ]


def test_undeclared_task_and_notify_roles() -> None:
    text = variant(
        "      - set: {approved_on: today}",
        "      - task: {title: {en: Pay, zh-CN: 付款}, role: finance}\n"
        "      - notify: {role: cfo, subject: {en: Done, zh-CN: 完成}}",
    )
    assert messages(text) == [
        at(
            text,
            "role: finance",
            "finance",
            "role 'finance' is not declared. Add it under roles or use one of: sales, legal.",
        ),
        at(
            text,
            "role: cfo",
            "cfo",
            "role 'cfo' is not declared. Add it under roles or use one of: sales, legal.",
        ),
    ]


# --- transitions sharing a trigger ---------------------------------------------------

SHARED = (
    MINIMAL_PROCESS
    + """\
  - {trigger: close, from: approval, to: archived, roles: [legal]}
  - {trigger: close, from: approval, to: draft, roles: [legal], guard: 'data.amount == "0"'}
"""
)


def test_unguarded_transition_must_come_last() -> None:
    assert messages(SHARED) == [
        at(
            SHARED,
            "to: archived, roles",
            5,
            "transition 'close' from 'approval' has no guard, but "
            "another transition with the same trigger follows it at line "
            f"{line_of(SHARED, 'to: draft, roles')} and could never be chosen. Give this one a "
            "guard or move it last.",
        ),
    ]


def test_two_unguarded_transitions_share_trigger() -> None:
    text = variant(", guard: 'data.amount == \"0\"'", "", SHARED)
    assert len(messages(text)) == 1


def test_guarded_transitions_then_unguarded_is_valid() -> None:
    lines = SHARED.splitlines(keepends=True)
    load_definition_text("".join([*lines[:-2], lines[-1], lines[-2]]), "sample.yaml")


# --- names -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["state", "to_review", "may_pass", "is_open"])
def test_state_name_reserved_by_model(name: str) -> None:
    text = MINIMAL_PROCESS.replace("approval", name)
    assert at(
        text,
        f"  {name}:",
        3,
        f"state name '{name}' is reserved by the state machine "
        "(state, trigger and names starting with to_, may_ or is_ are). Choose another "
        "name.",
    ) in messages(text)


@pytest.mark.parametrize("name", ["trigger", "to_approval", "is_ready"])
def test_trigger_name_reserved_by_model(name: str) -> None:
    text = variant("trigger: submit", f"trigger: {name}")
    assert messages(text) == [
        at(
            text,
            f"trigger: {name}",
            5,
            f"trigger name '{name}' is reserved by the state machine "
            "(state, trigger and names starting with to_, may_ or is_ are). Choose another name.",
        ),
    ]


def test_state_name_cel_reserved_word() -> None:
    text = variant("  approval:", "  'null':")
    text = variant("to: approval", "to: 'null'", text)
    text = variant("from: approval", "from: 'null'", text)
    assert at(
        text,
        "  'null':",
        3,
        "state name 'null' is not a valid CEL identifier. Use letters, "
        "digits and underscores, start with a letter, and avoid CEL reserved words.",
    ) in messages(text)


@pytest.mark.parametrize("name", ["due-date", "2nd_payment", "in"])
def test_data_field_name_not_identifier(name: str) -> None:
    text = variant(
        "    approved_on: {type: string}",
        f"    approved_on: {{type: string}}\n    {name}: {{type: string}}",
    )
    assert messages(text) == [
        at(
            text,
            f"    {name}:",
            5,
            f"data field name '{name}' is not a valid CEL identifier. Use "
            "letters, digits and underscores, start with a letter, and avoid CEL reserved words.",
        ),
    ]


# --- data schema -------------------------------------------------------------------------


def test_data_schema_must_be_valid_json_schema() -> None:
    text = variant("    amount: {type: string}", "    amount: {type: strin}")
    assert messages(text) == [
        at(
            text,
            "amount: {type: strin}",
            "type",
            "the data schema is not a valid JSON Schema: "
            "properties.amount.type is 'strin', but must be one of: 'array', 'boolean', "
            "'integer', 'null', 'number', 'object', 'string'.",
        ),
    ]


def test_data_schema_must_describe_an_object() -> None:
    text = variant("data:\n  type: object\n", "data:\n  type: array\n")
    assert messages(text) == [
        at(text, "type: array", 3, "data.type is 'array', but must be one of: 'object'."),
    ]


# --- expressions -------------------------------------------------------------------------


def guarded(guard: str) -> str:
    return variant("""guard: 'money_gt(data.amount, "0")'""", f"guard: {guard}")


def test_guard_syntax_error() -> None:
    text = guarded("'data.amount >'")
    assert messages(text) == [
        at(
            text,
            "guard:",
            12,
            "invalid CEL expression 'data.amount >' at column 14: the expression ends too early",
        ),
    ]


def test_guard_unknown_function() -> None:
    text = guarded("'money_more(data.amount, \"0\")'")
    assert messages(text)[0].startswith(
        f"sample.yaml:{line_of(text, 'guard:')}:12: expression 'money_more(data.amount, \"0\")' "
        "calls unknown function money_more."
    )


def test_guard_unknown_root() -> None:
    text = guarded("'amount == \"5\"'")
    assert messages(text)[0].startswith(
        f"sample.yaml:{line_of(text, 'guard:')}:12: expression 'amount == \"5\"' reads unknown "
        "variable amount."
    )


def test_guard_undeclared_data_field() -> None:
    text = guarded("'money_gt(data.amout, \"0\")'")
    assert messages(text) == [
        at(
            text,
            "guard:",
            12,
            "field data.amout in 'money_gt(data.amout, \"0\")' is not declared "
            "in the data schema. Declare it under data.properties or fix the name.",
        ),
    ]


def test_guard_nested_data_fields() -> None:
    load_definition_text(guarded("'data.party.name != \"\"'"), "sample.yaml")
    text = guarded("'data.party.city != \"\"'")
    assert "field data.party.city in" in messages(text)[0]


def test_guard_unknown_contract_field() -> None:
    text = guarded("'contract.owner == \"x\"'")
    assert messages(text) == [
        at(
            text,
            "guard:",
            12,
            "contract has no field contract.owner. Contract fields: customer, "
            "number, process, state, version.",
        ),
    ]


def test_guard_field_of_today() -> None:
    text = guarded("'today.year == 2026'")
    assert messages(text) == [
        at(text, "guard:", 12, "today is a date or time string and has no field today.year."),
    ]


def test_guard_reads_undeclared_obligations() -> None:
    text = guarded("'obligations.payment.settled'")
    assert messages(text) == [
        at(
            text,
            "guard:",
            12,
            "obligations.payment.settled reads obligations, but this process declares none.",
        ),
    ]


def test_guard_reads_root_not_yet_provided() -> None:
    text = guarded("'customer.grade == \"AAA\"'")
    assert messages(text) == [
        at(
            text,
            "guard:",
            12,
            "customer.grade reads customer, which the engine does not provide "
            "to expressions yet. Use data or contract fields instead.",
        ),
    ]


def test_guard_money_float_literal() -> None:
    text = guarded("'money_gt(data.amount, 0.5)'")
    assert messages(text) == [
        at(
            text,
            "guard:",
            12,
            "amount 0.5 in 'money_gt(data.amount, 0.5)' is a floating-point "
            'number. Write it as the decimal string "0.5".',
        ),
    ]


def test_set_action_undeclared_field() -> None:
    text = variant("{approved_on: today}", "{approved_at: today}")
    assert messages(text) == [
        at(
            text,
            "approved_at",
            "approved_at",
            "set action names data field 'approved_at', which the data "
            "schema does not declare. Add it under data.properties.",
        ),
    ]


def test_set_action_expression_is_checked() -> None:
    text = variant("{approved_on: today}", "{approved_on: 'add_days(today'}")
    assert messages(text) == [
        at(
            text,
            "approved_on: 'add",
            "'add",
            "invalid CEL expression 'add_days(today' at column "
            "15: missing ')' at the end of the expression",
        ),
    ]


# --- automatic and engine-only transitions -----------------------------------------------


def test_auto_transition_needs_guard() -> None:
    text = variant("    roles: [legal]\n", "    auto: true\n")
    assert messages(text) == [
        at(
            text,
            "auto: true",
            5,
            "automatic transition 'approve' has no guard, so it would fire at once. Add a guard.",
        ),
    ]


def test_auto_transition_has_no_roles() -> None:
    text = variant("    roles: [sales]\n", "    roles: [sales]\n    auto: true\n")
    assert messages(text) == [
        at(
            text,
            "roles: [sales]",
            5,
            "automatic transition 'submit' lists roles, but only the "
            "engine fires it. Remove roles, or remove auto: true to let people fire it.",
        ),
    ]


def test_auto_transition_with_guard_is_valid() -> None:
    text = variant("    roles: [legal]\n", "    auto: true\n    guard: has(data.approved_on)\n")
    definition = load_definition_text(text, "sample.yaml")
    approve = definition.transitions[1]
    assert approve.auto and approve.engine_only


def test_transition_nothing_can_fire() -> None:
    text = variant("    roles: [legal]\n", "")
    assert messages(text) == [
        at(
            text,
            "trigger: approve",
            5,
            "nothing can fire transition 'approve': it has no roles "
            "and is not automatic. Add roles or auto: true with a guard.",
        ),
    ]


def test_semantic_problems_all_reported() -> None:
    text = variant("    roles: [sales]", "    roles: [seles]")
    text = variant("trigger: approve", "trigger: is_done", text)
    found = problems_of(load_definition_text, text, "sample.yaml")
    assert [p.line for p in found] == [
        line_of(text, "roles: [seles]"),
        line_of(text, "trigger: is_done"),
    ]


# --- builder -----------------------------------------------------------------------------


def test_builder_fills_the_model() -> None:
    text = variant(
        "      - set: {approved_on: today}",
        "      - set: {approved_on: today, amount: '\"1\"'}\n"
        "      - task: {title: {en: Pay, zh-CN: 付款}, role: sales, due: P3D}\n"
        "      - notify: {role: legal, subject: {en: Done, zh-CN: 完成}}",
    )
    definition = load_definition_text(text, "sample.yaml")
    approve = definition.transitions[1]
    assert [type(a) for a in approve.actions] == [SetAction, SetAction, TaskAction, NotifyAction]
    assert [a.field for a in approve.actions[:2]] == ["approved_on", "amount"]
    assert approve.actions[2] == TaskAction({"en": "Pay", "zh-CN": "付款"}, "sales", "P3D")
    assert approve.actions[3] == NotifyAction("legal", {"en": "Done", "zh-CN": "完成"}, None)
    assert approve.sources == ("approval",)
    assert approve.source is not None
    assert (approve.source.line, approve.source.column) == (line_of(text, "trigger: approve"), 5)
    assert definition.states["draft"].source is not None
    assert definition.states["draft"].source.line == line_of(text, "  draft:")
    assert definition.source_text == text
    assert definition.content_hash == hashlib.sha256(text.encode()).hexdigest()
    assert definition.data_schema["properties"]["amount"] == {"type": "string"}


class KeyRecorder(dict):  # type: ignore[type-arg]
    """A dict that records every key read from it, with the path of the dict."""

    def __init__(self, data: dict[str, Any], path: tuple[Any, ...], reads: set[tuple[Any, ...]]):
        super().__init__({k: record(v, (*path, k), reads) for k, v in data.items()})
        self.path, self.reads = path, reads

    def __getitem__(self, key: Any) -> Any:
        self.reads.add((*self.path, key))
        return super().__getitem__(key)

    def get(self, key: Any, default: Any = None) -> Any:
        self.reads.add((*self.path, key))
        return super().get(key, default)

    def __contains__(self, key: object) -> bool:
        self.reads.add((*self.path, key))
        return super().__contains__(key)


def record(value: Any, path: tuple[Any, ...], reads: set[tuple[Any, ...]]) -> Any:
    if isinstance(value, dict):
        return KeyRecorder(value, path, reads)
    if isinstance(value, list):
        return [record(item, (*path, index), reads) for index, item in enumerate(value)]
    return value


FULL_PROCESS = """\
process: full
version: 1
title: {en: Full, zh-CN: 全}
description: {en: Every key, zh-CN: 所有键}
roles:
  sales: {en: Sales, zh-CN: 销售}
data: {type: object, properties: {note: {type: string}}}
states:
  draft: {initial: true, final: false, label: {en: Draft, zh-CN: 草稿},
          description: {en: Start, zh-CN: 开始}}
  done: {final: true, label: {en: Done, zh-CN: 完成}}
transitions:
  - trigger: finish
    from: [draft]
    to: done
    roles: [sales]
    guard: 'data.note != ""'
    auto: false
    label: {en: Finish, zh-CN: 完成}
    actions:
      - set: {note: '"x"'}
      - task: {title: {en: T, zh-CN: 任务}, role: sales, due: P1D}
      - notify: {role: sales, subject: {en: S, zh-CN: 主题}, body: {en: B, zh-CN: 正文}}
"""


def schema_keys(definition: dict[str, Any]) -> set[str]:
    return set(definition["properties"])


def test_builder_reads_exactly_the_schema_keys() -> None:
    doc = load_yaml_text(FULL_PROCESS, "full.yaml")
    reads: set[tuple[Any, ...]] = set()
    recorded = type(doc)(
        doc.name, record(doc.data, (), reads), doc.raw, doc.positions, doc.key_positions
    )
    build_definition(recorded, "full.yaml")

    def read_at(path: tuple[Any, ...]) -> set[str]:
        return {r[len(path)] for r in reads if r[: len(path)] == path and len(r) == len(path) + 1}

    schema = process_schema()
    defs = schema["$defs"]
    assert read_at(()) == schema_keys(schema)
    assert read_at(("states", "draft")) == schema_keys(defs["state"])
    assert read_at(("transitions", 0)) == schema_keys(defs["transition"])
    assert set().union(*(read_at(("transitions", 0, "actions", i)) for i in range(3))) == (
        schema_keys(defs["action"])
    )
    assert read_at(("transitions", 0, "actions", 1, "task")) == schema_keys(defs["task_action"])
    assert read_at(("transitions", 0, "actions", 2, "notify")) == schema_keys(defs["notify_action"])
    assert read_at(("title",)) == schema_keys(defs["label"])


def test_full_process_passes_every_stage() -> None:
    definition = load_definition_text(FULL_PROCESS, "full.yaml", check_file_name=True)
    assert definition.description == {"en": "Every key", "zh-CN": "所有键"}
    assert definition.states["draft"].description == {"en": "Start", "zh-CN": "开始"}
