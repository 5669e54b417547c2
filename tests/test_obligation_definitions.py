"""Events and obligations in process files: schema, semantic checks and building."""

from __future__ import annotations

from typing import Any

from engine.definition import load_definition, load_definition_text, process_schema
from engine.definition.builder import build_definition
from engine.definition.yaml_loader import load_yaml_text
from tests.definition_helpers import line_of, problems_of, variant
from tests.ledger_helpers import INVOICE_PROCESS
from tests.test_definition_checks import record, schema_keys

PROCESS = """\
process: sample
version: 1
title: {en: Sample, zh-CN: 样例}
roles:
  finance: {en: Finance, zh-CN: 财务}
data:
  type: object
  properties:
    amount: {type: string}
    due_on: {type: string}
events:
  paid:
    label: {en: Paid, zh-CN: 已付}
    description: {en: Money in, zh-CN: 收款}
    fields:
      amount: {type: money, required: true, label: {en: Amount, zh-CN: 金额}}
      note: {type: string}
obligations:
  payment:
    label: {en: Payment, zh-CN: 付款}
    description: {en: The price, zh-CN: 价款}
    kind: payment
    amount: data.amount
    due: data.due_on
    settled_by: paid
    amount_field: amount
states:
  open: {initial: true, label: {en: Open, zh-CN: 未结}}
  late: {label: {en: Late, zh-CN: 逾期}}
  done: {final: true, label: {en: Done, zh-CN: 完成}}
transitions:
  - trigger: escalate
    from: open
    to: late
    auto: true
    guard: 'obligations.payment.days_overdue > 30'
  - trigger: close
    from: [open, late]
    to: done
    auto: true
    guard: obligations.payment.settled
"""


def messages(text: str) -> list[str]:
    return [str(p) for p in problems_of(load_definition_text, text, "sample.yaml")]


def at(text: str, marker: str, column: int, message: str) -> str:
    return f"sample.yaml:{line_of(text, marker)}:{column}: {message}"


def test_process_with_obligations_builds() -> None:
    definition = load_definition_text(PROCESS, "sample.yaml")

    payment = definition.obligations["payment"]
    assert (payment.kind, payment.settled_by, payment.amount_field) == ("payment", "paid", "amount")
    assert payment.amount.source == "data.amount"
    assert payment.due.source == "data.due_on"
    assert definition.events["paid"].fields["amount"].type == "money"
    assert definition.events["paid"].fields["amount"].required is True
    assert definition.events["paid"].fields["note"].required is False


def test_shipped_invoice_process_is_valid() -> None:
    definition = load_definition(INVOICE_PROCESS)
    assert definition.initial_state == "execution"
    assert set(definition.obligations) == {"payment"}
    assert [t.trigger for t in definition.transitions if t.auto] == [
        "report_breach", "cure", "complete"]


def test_builder_reads_event_and_obligation_keys() -> None:
    doc = load_yaml_text(PROCESS, "sample.yaml")
    reads: set[tuple[Any, ...]] = set()
    recorded = type(doc)(
        doc.name, record(doc.data, (), reads), doc.raw, doc.positions, doc.key_positions
    )
    build_definition(recorded, "sample.yaml")

    def read_at(path: tuple[Any, ...]) -> set[str]:
        return {r[len(path)] for r in reads if r[: len(path)] == path and len(r) == len(path) + 1}

    defs = process_schema()["$defs"]
    assert read_at(("events", "paid")) == schema_keys(defs["event"])
    assert read_at(("events", "paid", "fields", "amount")) == schema_keys(defs["event_field"])
    assert read_at(("obligations", "payment")) == schema_keys(defs["obligation"])


def test_guard_reads_undeclared_obligation() -> None:
    text = variant("guard: 'obligations.payment.days_overdue > 30'",
                   "guard: 'obligations.delivery.days_overdue > 30'", PROCESS)
    assert messages(text) == [at(
        text, "obligations.delivery", 12,
        "obligations.delivery.days_overdue in 'obligations.delivery.days_overdue > 30' reads "
        "obligation 'delivery', which is not declared. Declared obligations: payment.")]


def test_guard_reads_unknown_obligation_field() -> None:
    text = variant("guard: obligations.payment.settled", "guard: obligations.payment.paid",
                   PROCESS)
    assert messages(text) == [at(
        text, "obligations.payment.paid", 12,
        "obligations.payment.paid in 'obligations.payment.paid' reads field 'paid', which "
        "obligations do not have. Obligation fields: due, amount, settled_amount, outstanding, "
        "settled, overdue, days_overdue.")]


def test_guard_reads_whole_obligation() -> None:
    text = variant("guard: obligations.payment.settled", "guard: 'has(obligations.payment)'",
                   PROCESS)
    assert messages(text) == [at(
        text, "has(obligations.payment)", 12,
        "obligations.payment in 'has(obligations.payment)' must name an obligation and one "
        "of its fields, for example obligations.payment.settled.")]


def test_settled_by_undeclared_event() -> None:
    text = variant("settled_by: paid", "settled_by: received", PROCESS)
    assert messages(text) == [at(
        text, "settled_by: received", 17,
        "obligation 'payment' is settled by event 'received', which is not declared. Declare it "
        "under events or use one of: paid.")]


def test_amount_field_must_be_money() -> None:
    text = variant("amount_field: amount", "amount_field: note", PROCESS)
    assert messages(text) == [at(
        text, "amount_field: note", 19,
        "obligation 'payment' adds up the field 'note' of event 'paid', but that event declares "
        "no money field of that name. Add note: {type: money} under events.paid.fields, or set "
        "amount_field to one of its money fields.")]


def test_obligation_due_may_not_read_today() -> None:
    text = variant("due: data.due_on", "due: today", PROCESS)
    assert messages(text) == [at(
        text, "due: today", 10,
        "the due of obligation 'payment' reads today, but it may read only data and contract, "
        "so it stays fixed while time passes. Compute it from contract data.")]


def test_obligation_amount_must_compile() -> None:
    text = variant("amount: data.amount", "amount: 'data.amount +'", PROCESS)
    problems = messages(text)
    assert len(problems) == 1
    assert problems[0].startswith(
        f"sample.yaml:{line_of(text, 'data.amount +')}:13: invalid CEL expression "
        "'data.amount +'")


def test_obligation_amount_reads_undeclared_field() -> None:
    text = variant("amount: data.amount", "amount: data.price", PROCESS)
    assert messages(text) == [at(
        text, "amount: data.price", 13,
        "field data.price in 'data.price' is not declared in the data schema. Declare it under "
        "data.properties or fix the name.")]


def test_obligation_kind_is_checked_by_schema() -> None:
    text = variant("kind: payment", "kind: loan", PROCESS)
    assert messages(text) == [at(
        text, "kind: loan", 5,
        "obligations.payment.kind is 'loan', but must be one of: 'payment', 'delivery', "
        "'acceptance'.")]
