"""Contingency plans in process files: schema, semantic checks and the built objects."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine.clock import parse_duration
from engine.definition import load_definition_text, process_schema
from engine.definition.builder import build_definition
from engine.definition.yaml_loader import load_yaml_text
from tests.definition_helpers import line_of, problems_of, variant
from tests.plan_helpers import RECEIVABLE_PROCESS, SUPPLY_PROCESS
from tests.test_definition_checks import record

WHEN = "'!data.paid && days_between(data.due_on, today) > 30'"


def load(text: str) -> Any:
    return load_definition_text(text, "supply.yaml")


def messages(text: str) -> list[str]:
    return [f"{p.line}: {p.message}" for p in problems_of(load, text)]


def test_plans_build_in_file_order() -> None:
    definition = load(SUPPLY_PROCESS)

    plans = definition.contingency_plans
    late = plans["late_payment"]
    assert list(plans) == ["late_payment", "quality_issue"]
    assert late.risk == {"en": "Customer pays late", "zh-CN": "客户逾期付款"}
    assert (late.severity, late.owner, late.contacts) == ("high", "finance", ("sales",))
    assert late.when is not None
    assert late.when.source == "!data.paid && days_between(data.due_on, today) > 30"
    assert late.states == ("execution",)
    assert late.fire == "report_breach"
    assert [(m.role, m.due) for m in late.measures] == [("finance", "P3D"), ("sales", "P7D")]
    assert [(s.index, s.after, s.notify, s.fire) for s in late.escalate] == [
        (0, "P15D", "cfo", None), (1, "P60D", None, None), (2, "P90D", None, "terminate")]
    assert late.escalate[1].task is not None and late.escalate[1].task.role == "legal"
    assert late.closes_when is not None
    assert late.notified_roles == ("finance", "sales")
    assert late.source is not None and late.source.line == line_of(SUPPLY_PROCESS, "late_payment:")
    assert plans["quality_issue"].closes_when is None


def test_process_without_plans_has_none() -> None:
    text = SUPPLY_PROCESS.split("contingency_plans:")[0].replace(
        "{trigger: report_breach, from: execution, to: breach}",
        "{trigger: report_breach, from: execution, to: breach, roles: [finance]}").replace(
        "{trigger: terminate, from: breach, to: terminated}",
        "{trigger: terminate, from: breach, to: terminated, roles: [legal]}")

    assert dict(load(text).contingency_plans) == {}


def test_plan_fired_transition_needs_no_roles() -> None:
    text = variant_of("    fire: report_breach\n", "")

    assert messages(text) == [
        (f"{line_of(text, 'trigger: report_breach')}: nothing can fire transition "
        "'report_breach': it has no roles and is not automatic. Add roles or auto: true with a "
        "guard.")]


def variant_of(old: str, new: str) -> str:
    return variant(old, new, SUPPLY_PROCESS)


def test_undeclared_roles_are_located() -> None:
    text = variant_of("    owner: finance\n", "    owner: treasury\n")
    text = variant("contacts: [sales]", "contacts: [sales, board]", text)

    assert messages(text) == [
        (f"{line_of(text, 'owner: treasury')}: role 'treasury' is not declared. Add it under "
        "roles or use one of: sales, finance, legal, cfo."),
        (f"{line_of(text, 'contacts:')}: role 'board' is not declared. Add it under roles or "
        "use one of: sales, finance, legal, cfo."),
    ]


def test_trigger_needs_when_or_on() -> None:
    neither = variant_of(f"    when: {WHEN}\n", "")
    both = variant_of(f"    when: {WHEN}\n", f"    when: {WHEN}\n    on: payment_missed\n")

    assert messages(neither) == [
        (f"{line_of(neither, 'late_payment:')}: contingency plan 'late_payment' has no trigger. "
        "Add when: GUARD, or on: EVENT.")]
    assert messages(both) == [
        (f"{line_of(both, 'on: payment_missed')}: contingency plan 'late_payment' has both when "
        "and on. Keep one: when opens the plan when a guard holds, on when an event is recorded."),
        (f"{line_of(both, 'on: payment_missed')}: contingency plan 'late_payment' opens on event "
         "'payment_missed', which is not declared. Declared events: -."),
    ]


def test_plan_event_must_be_declared() -> None:
    text = variant_of(f"    when: {WHEN}\n", "    on: payment_missed\n") + (
        "events:\n  payment_received: {label: {en: Paid, zh-CN: 回款}}\n")

    assert messages(text) == [
        (f"{line_of(text, 'on: payment_missed')}: contingency plan 'late_payment' opens on "
         "event 'payment_missed', which is not declared. Declared events: payment_received.")]


def test_plan_must_be_able_to_close() -> None:
    text = variant_of("      - {title: {en: Inspect the goods, zh-CN: 复检货物}, role: sales, "
                      "due: P2D}\n", "      []\n")
    text = variant("    measures:\n      []\n", "", text)

    assert messages(text) == [
        (f"{line_of(text, 'quality_issue:')}: contingency plan 'quality_issue' could never "
        "close: it has neither closes_when nor measures. Add closes_when: GUARD, or measures "
        "whose completion closes it.")]


def test_unknown_and_final_states_rejected() -> None:
    text = variant_of("    in: [execution]\n", "    in: [execution, limbo, archived]\n")

    assert messages(text) == [
        (f"{line_of(text, 'limbo')}: contingency plan 'late_payment' names unknown state "
        "'limbo'. Known states: draft, execution, breach, terminated, archived."),
        (f"{line_of(text, 'limbo')}: contingency plan 'late_payment' lists final state "
        "'archived', where plans are not evaluated. Remove it."),
    ]


def test_unknown_fire_trigger_rejected() -> None:
    text = variant_of("      - {after: P90D, fire: terminate}\n",
                      "      - {after: P90D, fire: rescind}\n")

    assert messages(text) == [
        (f"{line_of(text, 'trigger: terminate')}: nothing can fire transition 'terminate': it "
        "has no roles and is not automatic. Add roles or auto: true with a guard."),
        (f"{line_of(text, 'rescind')}: contingency plan 'late_payment' fires unknown trigger "
        "'rescind'. Known triggers: start, update, report_breach, cure, terminate, archive."),
    ]


def test_escalation_step_needs_one_action() -> None:
    text = variant_of("      - {after: P15D, notify: cfo}\n",
                      "      - {after: P15D, notify: cfo, fire: terminate}\n      - {after: P20D}\n")

    assert messages(text) == [
        (f"{line_of(text, 'notify: cfo')}: escalation step 1 of contingency plan "
        "'late_payment' has notify, fire. Give exactly one of notify, task or fire."),
        (f"{line_of(text, 'after: P20D')}: escalation step 2 of contingency plan "
        "'late_payment' has no action. Give exactly one of notify, task or fire."),
    ]


def test_month_durations_rejected() -> None:
    text = variant_of("after: P60D", "after: P2M")

    assert messages(text) == [
        (f"{line_of(text, 'P2M')}: duration P2M is not supported. Use weeks, days, hours or "
        "minutes, for example P3D, P2W or PT4H.")]


def test_schema_rejects_bad_severity_and_duration() -> None:
    text = variant_of("    severity: high\n", "    severity: urgent\n")
    text = variant("due: P3D}", "due: soon}", text)

    found = messages(text)

    assert len(found) == 2
    assert found[0].startswith(f"{line_of(text, 'severity: urgent')}: "
                               "contingency_plans.late_payment.severity is 'urgent', but must be "
                               "one of: 'low', 'medium', 'high', 'critical'.")
    assert found[1].startswith(f"{line_of(text, 'due: soon')}: "
                               "contingency_plans.late_payment.measures[0].due is 'soon'")


def test_plan_guards_are_checked() -> None:
    text = variant_of(f"    when: {WHEN}\n", "    when: data.overdue_days > 30\n")
    text = variant("    closes_when: data.paid\n", "    closes_when: data.paid ==\n", text)

    found = messages(text)

    assert found[0] == (f"{line_of(text, 'overdue_days')}: field data.overdue_days in "
                        "'data.overdue_days > 30' is not declared in the data schema. Declare it "
                        "under data.properties or fix the name.")
    assert found[1].startswith(f"{line_of(text, 'closes_when')}: invalid CEL expression "
                               "'data.paid =='")
    assert len(found) == 2


def test_builder_reads_every_plan_key() -> None:
    full = variant_of("    severity: medium\n",
                      "    severity: medium\n    description: {en: D, zh-CN: 说明}\n")
    doc = load_yaml_text(full, "supply.yaml")
    reads: set[tuple[Any, ...]] = set()
    recorded = type(doc)(doc.name, record(doc.data, (), reads), doc.raw, doc.positions,
                         doc.key_positions)
    build_definition(recorded, "supply.yaml")

    def read_at(path: tuple[Any, ...]) -> set[str]:
        return {r[len(path)] for r in reads if r[: len(path)] == path and len(r) == len(path) + 1}

    defs = process_schema()["$defs"]
    plan_keys = read_at(("contingency_plans", "late_payment")) | read_at(
        ("contingency_plans", "quality_issue"))
    step_keys = set().union(*(read_at(("contingency_plans", "late_payment", "escalate", i))
                              for i in range(3)))
    assert plan_keys == set(defs["contingency_plan"]["properties"])
    assert step_keys == set(defs["escalation_step"]["properties"])
    assert read_at(("contingency_plans", "late_payment", "measures", 0)) == set(
        defs["measure"]["properties"])


def test_durations_accepted_by_schema_parse() -> None:
    for text in ("P3D", "P2W", "PT4H", "P1DT2H", "PT30M"):
        assert parse_duration(text) > timedelta(0)


# --- obligation reminders ---------------------------------------------------------------


def receivable_messages(old: str, new: str) -> list[str]:
    text = variant(old, new, RECEIVABLE_PROCESS)
    return [f"{p.line}: {p.message}" for p in problems_of(
        load_definition_text, text, "receivable.yaml")]


def test_reminders_build() -> None:
    text = variant("    settled_by: payment_received\n",
                   "    settled_by: payment_received\n    remind: [-P7D, P0D, PT12H]\n"
                   "    remind_to: [finance, sales]\n", RECEIVABLE_PROCESS)

    payment = load_definition_text(text, "receivable.yaml").obligations["payment"]

    assert payment.remind == ("-P7D", "P0D", "PT12H")
    assert payment.remind_to == ("finance", "sales")


def test_reminders_need_roles() -> None:
    assert receivable_messages("    settled_by: payment_received\n",
                               "    settled_by: payment_received\n    remind: [-P7D]\n") == [
        (f"{line_of(RECEIVABLE_PROCESS, 'settled_by: payment_received') + 1}: obligation "
         "'payment' has reminders but no remind_to. Add remind_to: [ROLE] with the roles to "
         "notify.")]


def test_reminder_roles_need_reminders() -> None:
    assert receivable_messages("    settled_by: payment_received\n",
                               "    settled_by: payment_received\n    remind_to: [finance]\n"
                               ) == [
        (f"{line_of(RECEIVABLE_PROCESS, 'settled_by: payment_received') + 1}: obligation "
         "'payment' names remind_to but no reminders. Add remind: [-P7D, P0D] or remove "
         "remind_to.")]


def test_reminder_role_must_be_declared() -> None:
    found = receivable_messages("    settled_by: payment_received\n",
                                "    settled_by: payment_received\n    remind: [-P7D]\n"
                                "    remind_to: [treasury]\n")

    assert found == [
        (f"{line_of(RECEIVABLE_PROCESS, 'settled_by: payment_received') + 2}: role 'treasury' "
         "is not declared. Add it under roles or use one of: finance, sales.")]


def test_reminder_offset_in_months_rejected() -> None:
    found = receivable_messages("    settled_by: payment_received\n",
                                "    settled_by: payment_received\n    remind: [-P1M]\n"
                                "    remind_to: [finance]\n")

    assert len(found) == 1
    assert found[0].startswith(
        f"{line_of(RECEIVABLE_PROCESS, 'settled_by: payment_received') + 1}: "
        "obligations.payment.remind[0] is '-P1M', which is not valid. Expected: an ISO 8601 "
        "duration in weeks, days, hours or minutes, with a leading - for before")
