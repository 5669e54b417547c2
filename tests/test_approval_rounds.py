"""Approval rounds: reject with a reason, a clean next round, withdraw, and data changes."""

from __future__ import annotations

import json
from pathlib import Path

from tests.approval_helpers import (
    act,
    create,
    events,
    history,
    setup,
    shown,
    snapshot,
    state_of,
    submitted,
)
from tests.conftest import Lv

PEOPLE = {"seller": ["sales"], "other_seller": ["sales"], "lee": ["legal"], "lin": ["legal"],
          "fin": ["finance"]}
LEVELS = "        - {role: legal}\n        - {role: finance}\n"


def open_tasks(lv: Lv) -> list[tuple[str, str]]:
    rows = json.loads(lv("tasks", "--format", "json").stdout)
    return [(row["role"], row["waits_for"]) for row in rows if row["kind"] == "approval"]


def test_reject_returns_with_reason(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    number = submitted(lv)
    assert act(lv, "lee", "contract", "approve", number).exit_code == 0

    result = act(lv, "fin", "contract", "reject", number, "--reason", "Payment terms missing")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{number}: fin rejected at level 2 (finance): Payment terms missing",
        f"{number}: send_back approval -> draft (by system)",
    ]
    rows = history(lv, number)
    vote, outcome, move = rows[-3:]
    assert (vote["kind"], vote["actor"], vote["reason"]) == ("vote", "fin",
                                                             "Payment terms missing")
    assert vote["details"]["decision"] == "reject"
    assert (outcome["details"]["event"], outcome["reason"]) == ("round_rejected",
                                                                "Payment terms missing")
    assert (move["trigger"], move["actor"], move["rule"]) == ("send_back", "system",
                                                              "approval:approval")
    assert state_of(lv, number) == "draft"
    assert open_tasks(lv) == []


def test_reject_needs_reason(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    number = submitted(lv)
    before = snapshot(lv, number)

    missing = act(lv, "lee", "contract", "reject", number)
    blank = act(lv, "lee", "contract", "reject", number, "--reason", "  ")

    assert missing.exit_code == 2
    assert "Missing option '--reason'" in missing.stderr
    assert blank.exit_code == 2
    assert blank.stderr.strip() == (
        "A reject needs a reason: add --reason TEXT saying what to change.")
    assert snapshot(lv, number) == before


def test_next_round_starts_clean(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    number = submitted(lv)
    assert act(lv, "lee", "contract", "approve", number).exit_code == 0
    assert act(lv, "fin", "contract", "reject", number, "--reason", "No").exit_code == 0

    again = act(lv, "seller", "contract", "fire", number, "submit", "--set", "note=fixed")
    tasks = open_tasks(lv)
    lee_again = act(lv, "lee", "contract", "approve", number)
    fin_again = act(lv, "fin", "contract", "approve", number)

    assert again.exit_code == 0, again.output
    assert tasks == [("legal", "lee"), ("legal", "lin")]
    assert lee_again.exit_code == 0, lee_again.output
    assert fin_again.exit_code == 0, fin_again.output
    assert state_of(lv, number) == "active"
    rounds = [row["details"]["round"] for row in history(lv, number) if row["kind"] == "vote"]
    assert rounds == [1, 1, 2, 2]


def test_no_round_outside_approval(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    number = create(lv)

    result = act(lv, "lee", "contract", "approve", number)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"{number} is in state draft, which has no approval, so there is nothing to approve or "
        f"reject. 'lvyue contract show {number}' lists the triggers allowed now.")


def test_unknown_contract_vote_is_not_found(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)

    result = act(lv, "lee", "contract", "approve", "HT-2026-999999")

    assert result.exit_code == 4
    assert result.stderr.startswith("Contract HT-2026-999999 not found.")


def test_stale_expect_version_vote_is_conflict(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    number = submitted(lv)
    before = snapshot(lv, number)

    result = act(lv, "lee", "contract", "approve", number, "--expect-version", "1")

    assert result.exit_code == 3
    assert "is at row version 3, not 1" in result.stderr
    assert snapshot(lv, number) == before


def test_initiator_withdraws_and_closes_round(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    number = submitted(lv)

    result = act(lv, "seller", "contract", "fire", number, "withdraw", "--reason", "Wrong terms")

    assert result.exit_code == 0, result.output
    assert state_of(lv, number) == "draft"
    assert events(lv, number) == ["round_started", "round_withdrawn"]
    assert open_tasks(lv) == []
    assert act(lv, "lee", "contract", "approve", number).exit_code == 1


def test_only_initiator_may_withdraw(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    number = submitted(lv)
    before = snapshot(lv, number)

    result = act(lv, "other_seller", "contract", "fire", number, "withdraw")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Only the initiator may withdraw {number} before the approval decision: seller "
        "submitted it and seller created it, so other_seller may not fire 'withdraw'.")
    assert snapshot(lv, number) == before


def test_data_change_withdraws_round(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    number = submitted(lv)
    assert act(lv, "lee", "contract", "approve", number).exit_code == 0

    result = act(lv, "seller", "contract", "fire", number, "amend", "--set", "amount=250.00")

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{number}: amend approval -> approval (by seller)",
        f"{number}: withdraw approval -> draft (by system)",
    ]
    withdrawn = [row for row in history(lv, number) if row["kind"] == "approval"][-1]
    assert withdrawn["details"] == {"cause": "data_changed", "event": "round_withdrawn",
                                    "fields": ["amount"], "round": 1}
    assert withdrawn["rule"] == "approval:approval:withdrawn"
    assert shown(lv, number)["data"]["amount"] == "250.00"
    assert state_of(lv, number) == "draft"
    assert open_tasks(lv) == []
    assert lv("audit", "verify").exit_code == 0


def test_move_without_data_change_keeps_round(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    number = submitted(lv)

    result = act(lv, "seller", "contract", "fire", number, "amend")

    assert result.exit_code == 0, result.output
    assert events(lv, number) == ["round_started"]
    assert open_tasks(lv) == [("legal", "lee"), ("legal", "lin")]
