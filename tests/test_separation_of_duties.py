"""Separation of duties: the initiator never approves, one person approves one level, and
a submission or vote that distinct people could not complete is refused up front."""

from __future__ import annotations

from pathlib import Path

from tests.approval_helpers import act, create, events, history, setup, snapshot, state_of
from tests.conftest import Lv

TWO_LEVELS = """\
        - {role: legal, quorum: any}
        - {role: finance, quorum: any}
"""
EVERY_ROLE = ["sales", "legal", "finance", "board", "cfo"]


def test_creator_holding_every_role_cannot_approve(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, {"boss": EVERY_ROLE, "lee": ["legal"], "fin": ["finance"]}, TWO_LEVELS)
    number = create(lv, "boss")
    assert act(lv, "boss", "contract", "fire", number, "submit").exit_code == 0
    before = snapshot(lv, number)

    plain = act(lv, "boss", "contract", "approve", number)
    as_legal = act(lv, "boss", "--role", "legal", "contract", "approve", number)
    rejecting = act(lv, "boss", "contract", "reject", number, "--reason", "no")

    message = (f"boss may not vote on {number}: boss created the contract, and the initiator "
               "never approves or rejects it (separation of duties). Another approver has to "
               "decide.")
    for result in (plain, as_legal, rejecting):
        assert result.exit_code == 1
        assert result.stderr.strip() == message
    assert snapshot(lv, number) == before


def test_submitter_cannot_approve(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, {"seller": ["sales"], "boss": ["sales", "legal"], "lee": ["legal"],
                         "fin": ["finance"]}, TWO_LEVELS)
    number = create(lv, "seller")
    assert act(lv, "boss", "contract", "fire", number, "submit").exit_code == 0

    result = act(lv, "boss", "contract", "approve", number)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"boss may not vote on {number}: boss submitted this approval round, and the initiator "
        "never approves or rejects it (separation of duties). Another approver has to decide.")


def test_one_person_cannot_vote_at_two_levels(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, {"seller": ["sales"], "dual": ["legal", "finance"], "fin": ["finance"]},
          TWO_LEVELS)
    number = create(lv)
    assert act(lv, "seller", "contract", "fire", number, "submit").exit_code == 0
    assert act(lv, "dual", "contract", "approve", number).exit_code == 0
    before = snapshot(lv, number)

    again = act(lv, "dual", "contract", "approve", number)
    as_finance = act(lv, "dual", "--role", "finance", "contract", "approve", number)

    message = (f"dual already voted in this approval round of {number} (level 1, legal); one "
               "person approves at most one level of a round.")
    assert again.exit_code == 1
    assert again.stderr.strip() == message
    assert as_finance.exit_code == 1
    assert as_finance.stderr.strip() == message
    assert snapshot(lv, number) == before
    assert act(lv, "fin", "contract", "approve", number).exit_code == 0
    assert state_of(lv, number) == "active"


def test_submission_refused_without_eligible_approver(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, {"seller": ["sales", "finance"], "lee": ["legal"]}, TWO_LEVELS)
    number = create(lv)
    before = snapshot(lv, number)

    result = act(lv, "seller", "contract", "fire", number, "submit")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"Submission of {number} refused: distinct people cannot fill every approval level at "
        "once, because one person approves at most one level and the initiator never "
        "approves. Level 2 (finance) is left short. Approvers: level 1 legal needs 1 of: lee; "
        "level 2 finance needs 1 of: nobody. Not eligible: seller (created the contract and "
        "submits it). Add approvers for finance to the org file, or let someone else submit.")
    assert snapshot(lv, number) == before
    assert state_of(lv, number) == "draft"


def test_submission_refused_when_one_person_fills_two_levels(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, {"seller": ["sales"], "dual": ["legal", "finance"]}, TWO_LEVELS)
    number = create(lv)

    result = act(lv, "seller", "contract", "fire", number, "submit")

    assert result.exit_code == 1
    assert "Level 2 (finance) is left short. Approvers: level 1 legal needs 1 of: dual; " \
           "level 2 finance needs 1 of: dual." in result.stderr
    assert state_of(lv, number) == "draft"


def test_assignment_lets_the_other_person_take_legal(lv: Lv, tmp_path: Path) -> None:
    """legal = {amy, bo}, finance = {bo}: the submission passes and amy must take legal."""
    setup(lv, tmp_path, {"seller": ["sales"], "amy": ["legal"], "bo": ["legal", "finance"]},
          TWO_LEVELS)
    number = create(lv)
    assert act(lv, "seller", "contract", "fire", number, "submit").exit_code == 0
    before = snapshot(lv, number)

    bo_at_legal = act(lv, "bo", "contract", "approve", number)

    assert bo_at_legal.exit_code == 1
    assert bo_at_legal.stderr.strip() == (
        f"bo may not approve level 1 (legal) of {number}: afterwards distinct people could not "
        "fill level 2 (finance), because one person approves at most one level. Still needed: "
        "level 2 finance needs 1 of: nobody. Let another approver take level 1.")
    assert snapshot(lv, number) == before
    assert act(lv, "amy", "contract", "approve", number).exit_code == 0
    assert act(lv, "bo", "contract", "approve", number).exit_code == 0
    assert state_of(lv, number) == "active"


def test_quorum_sizes_count_distinct_people(lv: Lv, tmp_path: Path) -> None:
    """Two board votes plus legal need three people; {yan, zed} on the board and zed in legal
    are only two."""
    levels = """\
        - {role: board, quorum: 2}
        - {role: legal}
"""
    setup(lv, tmp_path, {"seller": ["sales"], "yan": ["board"], "zed": ["board", "legal"]},
          levels)
    number = create(lv)

    result = act(lv, "seller", "contract", "fire", number, "submit")

    assert result.exit_code == 1
    assert "Level 2 (legal) is left short. Approvers: level 1 board needs 2 of: yan, zed; " \
           "level 2 legal needs 1 of: zed." in result.stderr


def test_quorum_all_takes_every_holder(lv: Lv, tmp_path: Path) -> None:
    """`all` at finance needs both finance holders, so lee cannot also be the legal approver."""
    levels = """\
        - {role: legal}
        - {role: finance, quorum: all}
"""
    setup(lv, tmp_path, {"seller": ["sales"], "lee": ["legal", "finance"], "fin": ["finance"]},
          levels)
    number = create(lv)

    result = act(lv, "seller", "contract", "fire", number, "submit")

    assert result.exit_code == 1
    assert "Level 2 (finance) is left short. Approvers: level 1 legal needs 1 of: lee; level 2 " \
           "finance needs 2 of: fin, lee." in result.stderr


def test_vote_history_records_person_and_role(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, {"seller": ["sales"], "lee": ["legal"], "fin": ["finance"]}, TWO_LEVELS)
    number = create(lv)
    assert act(lv, "seller", "contract", "fire", number, "submit").exit_code == 0

    assert act(lv, "lee", "contract", "approve", number, "--comment", "fine").exit_code == 0
    assert act(lv, "fin", "contract", "approve", number).exit_code == 0

    votes = [row for row in history(lv, number) if row["kind"] == "vote"]
    assert [(v["actor"], v["role"], v["on_behalf_of"]) for v in votes] == [
        ("lee", "legal", None), ("fin", "finance", None)]
    assert votes[0]["details"] == {"acting_for_other": True, "comment": "fine",
                                   "decision": "approve", "level": 1, "round": 1}
    assert all(v["process_version"] == 1 for v in votes)
    assert events(lv, number) == ["round_started", "level_started", "round_approved"]
    outcome = history(lv, number)[-1]
    assert (outcome["trigger"], outcome["actor"], outcome["rule"]) == (
        "approve_done", "system", "approval:approval")
    assert lv("audit", "verify").exit_code == 0
