"""A contract's whole lifecycle through the CLI, on SQLite and on PostgreSQL."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Lv, new_contract, prepare

NOW = "2026-03-02T10:00:00+08:00"
APPROVE = "approve"

# (actor, trigger or APPROVE, the move the step makes or None for a vote that only
# completes its level)
STEPS = [
    ("wang_li", "submit", ("submit", "draft", "approval", "wang_li")),
    ("chen_jie", APPROVE, None),
    ("liu_yang", APPROVE, ("start_execution", "approval", "execution", "system")),
    ("liu_yang", "report_breach", ("report_breach", "execution", "breach", "liu_yang")),
    ("zhou_qing", "start_remediation", ("start_remediation", "breach", "remediation",
                                        "zhou_qing")),
    ("zhou_qing", "cure", ("cure", "remediation", "execution", "zhou_qing")),
    ("liu_yang", "complete", ("complete", "execution", "completed", "liu_yang")),
    ("he_ping", "archive", ("archive", "completed", "archived", "he_ping")),
]
MOVES = [step[2] for step in STEPS if step[2] is not None]


def run_lifecycle(lv: Lv) -> str:
    prepare(lv)
    number = new_contract(lv)
    for actor, action, move in STEPS:
        if action == APPROVE:
            result = lv("--now", NOW, "--as", actor, "contract", "approve", number,
                        "--comment", f"approved by {actor}")
        else:
            result = lv("--now", NOW, "--as", actor, "contract", "fire", number, action,
                        "--reason", f"step {action}")
        assert result.exit_code == 0, result.output
        if move is not None:
            trigger, before, after, mover = move
            assert f"{number}: {trigger} {before} -> {after} (by {mover})" in result.stdout
    return number


def check_lifecycle_outcome(lv: Lv, number: str) -> None:
    history = json.loads(lv("contract", "history", number, "--format", "json").stdout)
    transitions = [row for row in history if row["kind"] == "transition"]
    votes = [row for row in history if row["kind"] == "vote"]
    shown = json.loads(lv("contract", "show", number, "--format", "json").stdout)
    assert shown["state"] == "archived"
    assert shown["row_version"] == len(history)

    assert [row["trigger"] for row in transitions] == [move[0] for move in MOVES]
    assert [row["actor"] for row in transitions] == [move[3] for move in MOVES]
    assert history[0]["kind"] == "created"
    assert history[1]["os_login"] == "lvyue-ops"
    assert history[1]["role"] == "sales"
    assert [(row["actor"], row["role"]) for row in votes] == [
        ("chen_jie", "legal"), ("liu_yang", "finance")]
    assert votes[0]["details"]["comment"] == "approved by chen_jie"
    assert transitions[1]["rule"] == "approval:approval"
    assert transitions[2]["reason"] == "step report_breach"

    verify = lv("audit", "verify")
    assert verify.exit_code == 0, verify.output
    assert verify.stdout.startswith(f"OK: 1 contracts, {len(history)} history rows")


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
