"""A contract's whole lifecycle through the CLI, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Lv, new_contract, prepare

STEPS = [
    ("wang_li", "submit", "draft", "approval"),
    ("chen_jie", "approve", "approval", "execution"),
    ("liu_yang", "report_breach", "execution", "breach"),
    ("zhou_qing", "start_remediation", "breach", "remediation"),
    ("zhou_qing", "cure", "remediation", "execution"),
    ("liu_yang", "complete", "execution", "completed"),
    ("he_ping", "archive", "completed", "archived"),
]


def run_lifecycle(lv: Lv) -> str:
    prepare(lv)
    number = new_contract(lv)
    for actor, trigger, before, after in STEPS:
        result = lv("--as", actor, "contract", "fire", number, trigger, "--reason", f"step {trigger}")
        assert result.exit_code == 0, result.output
        assert f"{number}: {trigger} {before} -> {after} (by {actor})" in result.stdout
    return number


def check_lifecycle_outcome(lv: Lv, number: str) -> None:
    shown = json.loads(lv("contract", "show", number, "--format", "json").stdout)
    assert shown["state"] == "archived"
    assert shown["row_version"] == len(STEPS) + 1

    history = json.loads(lv("contract", "history", number, "--format", "json").stdout)
    assert [row["trigger"] for row in history[1:]] == [step[1] for step in STEPS]
    assert [row["actor"] for row in history[1:]] == [step[0] for step in STEPS]
    assert history[0]["kind"] == "created"
    assert history[1]["os_login"] == "lvyue-ops"
    assert history[1]["role"] == "sales"
    assert history[2]["reason"] == "step approve"

    verify = lv("audit", "verify")
    assert verify.exit_code == 0, verify.output
    assert verify.stdout.startswith("OK: 1 contracts, 8 history rows")


def test_lifecycle_on_sqlite(lv: Lv) -> None:
    number = run_lifecycle(lv)
    assert number.startswith("HT-")
    assert number.endswith("-000001")
    check_lifecycle_outcome(lv, number)


@pytest.mark.postgres
def test_lifecycle_on_postgresql(pg_lv: Lv) -> None:
    number = run_lifecycle(pg_lv)
    check_lifecycle_outcome(pg_lv, number)


def test_contract_list_filters_by_state(lv: Lv) -> None:
    prepare(lv)
    first = new_contract(lv)
    second = new_contract(lv)
    assert lv("--as", "wang_li", "contract", "fire", first, "submit").exit_code == 0

    listed = json.loads(lv("contract", "list", "--state", "draft", "--format", "json").stdout)

    assert [row["number"] for row in listed] == [second]


def test_contract_list_csv_has_header(lv: Lv) -> None:
    prepare(lv)
    number = new_contract(lv)

    result = lv("contract", "list", "--format", "csv")

    lines = result.stdout.splitlines()
    assert lines[0] == "number,customer,process,version,state,row_version"
    assert lines[1].startswith(f"{number},Hengtong,customer_contract,1,draft,1")


def test_numbers_have_no_gaps_after_refused_creation(lv: Lv) -> None:
    prepare(lv)
    first = new_contract(lv)
    refused = lv("--as", "wang_li", "contract", "new", "--process", "customer_contract",
                 "--customer", "X", "--set", "amount=abc")
    second = new_contract(lv)

    assert refused.exit_code == 2
    assert int(second[-6:]) == int(first[-6:]) + 1
