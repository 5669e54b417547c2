"""Approval levels: quorum any, all and N, level order, and countersign."""

from __future__ import annotations

import json
from pathlib import Path

from tests.approval_helpers import act, events, history, setup, snapshot, state_of, submitted
from tests.conftest import Lv

BOARD = {"seller": ["sales"], "ann": ["board"], "ben": ["board"], "cai": ["board"],
         "lee": ["legal"], "fin": ["finance"]}


def approval_tasks(lv: Lv, number: str) -> list[dict[str, object]]:
    rows = json.loads(lv("tasks", "--format", "json").stdout)
    return [row for row in rows if row["contract"] == number and row["kind"] == "approval"]


def test_quorum_any_completes_with_one_approval(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, BOARD, "        - {role: board, quorum: any}\n")
    number = submitted(lv)
    assert [t["waits_for"] for t in approval_tasks(lv, number)] == ["ann", "ben", "cai"]

    result = act(lv, "ben", "contract", "approve", number)

    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{number}: ben approved level 1 (board).",
        f"{number}: approve_done approval -> active (by system)",
    ]
    assert state_of(lv, number) == "active"
    assert approval_tasks(lv, number) == []


def test_quorum_all_waits_for_every_holder(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, BOARD, "        - {role: board, quorum: all}\n")
    number = submitted(lv)

    first = act(lv, "ann", "contract", "approve", number)
    second = act(lv, "cai", "contract", "approve", number)
    waiting = [t["waits_for"] for t in approval_tasks(lv, number)]
    third = act(lv, "ben", "contract", "approve", number)

    assert (first.exit_code, second.exit_code, third.exit_code) == (0, 0, 0)
    assert first.stdout.strip() == f"{number}: ann approved level 1 (board)."
    assert waiting == ["ben"]
    assert third.stdout.splitlines()[-1] == f"{number}: approve_done approval -> active (by system)"
    assert state_of(lv, number) == "active"


def test_quorum_two_of_three_completes_early(lv: Lv, tmp_path: Path) -> None:
    levels = "        - {role: board, quorum: 2}\n        - {role: legal}\n"
    setup(lv, tmp_path, BOARD, levels)
    number = submitted(lv)

    assert act(lv, "ann", "contract", "approve", number).exit_code == 0
    second = act(lv, "cai", "contract", "approve", number)
    late = act(lv, "ben", "contract", "approve", number)

    assert second.exit_code == 0
    assert second.stdout.splitlines()[1] == (
        f"{number}: level 2 started; approvers legal: lee; no deadline.")
    assert late.exit_code == 1
    assert late.stderr.strip() == (
        f"ben is not an approver of level 2 (legal) of {number}. Approvers of this level: lee.")
    assert [t["waits_for"] for t in approval_tasks(lv, number)] == ["lee"]
    started = history(lv, number)
    first_level = next(row for row in started if row["kind"] == "approval")
    assert first_level["details"]["required"] == {"board": 2}
    assert first_level["details"]["approvers"] == {"board": ["ann", "ben", "cai"]}


def test_later_level_cannot_vote_first(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, BOARD, "        - {role: legal}\n        - {role: finance}\n")
    number = submitted(lv)
    before = snapshot(lv, number)

    result = act(lv, "fin", "contract", "approve", number)
    rejecting = act(lv, "fin", "contract", "reject", number, "--reason", "too early")

    message = (f"{number} is at approval level 1 (legal). Level 2 starts only after level 1 is "
               "complete, so fin cannot vote yet.")
    assert result.exit_code == 1
    assert result.stderr.strip() == message
    assert rejecting.exit_code == 1
    assert rejecting.stderr.strip() == message
    assert snapshot(lv, number) == before


def test_outsider_is_not_an_approver(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, BOARD, "        - {role: legal}\n")
    number = submitted(lv)

    result = act(lv, "ann", "contract", "approve", number)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"ann is not an approver of level 1 (legal) of {number}. Approvers of this level: lee.")


def test_countersign_needs_both_roles(lv: Lv, tmp_path: Path) -> None:
    levels = "        - {roles: [legal, finance], quorum: any}\n        - {role: board}\n"
    setup(lv, tmp_path, BOARD, levels)
    number = submitted(lv)

    finance = act(lv, "fin", "contract", "approve", number)
    waiting = [(t["role"], t["waits_for"]) for t in approval_tasks(lv, number)]
    legal = act(lv, "lee", "contract", "approve", number)

    assert finance.stdout.strip() == f"{number}: fin approved level 1 (finance)."
    assert waiting == [("legal", "lee")]
    assert legal.stdout.splitlines()[0] == f"{number}: lee approved level 1 (legal)."
    assert legal.stdout.splitlines()[1] == (
        f"{number}: level 2 started; approvers board: ann, ben, cai; no deadline.")


def test_countersign_role_already_complete(lv: Lv, tmp_path: Path) -> None:
    people = dict(BOARD, fay=["finance"])
    setup(lv, tmp_path, people, "        - {roles: [legal, finance]}\n")
    number = submitted(lv)
    assert act(lv, "fin", "contract", "approve", number).exit_code == 0

    result = act(lv, "fay", "contract", "approve", number)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Role finance at level 1 of {number} already has the approvals it needs; the level "
        "waits for: legal.")


def test_level_when_is_fixed_at_round_start(lv: Lv, tmp_path: Path) -> None:
    levels = ("        - {role: legal}\n"
              "        - {role: cfo, when: 'money_ge(data.amount, \"1000\")'}\n")
    setup(lv, tmp_path, dict(BOARD, chief=["cfo"]), levels)
    number = submitted(lv, "seller", "amount=999.99")

    result = act(lv, "lee", "contract", "approve", number)

    assert result.stdout.splitlines()[-1] == (
        f"{number}: approve_done approval -> active (by system)")
    started = next(row for row in history(lv, number) if row["kind"] == "approval")
    assert [level["applies"] for level in started["details"]["levels"]] == [True, False]
    assert events(lv, number) == ["round_started", "round_approved"]
