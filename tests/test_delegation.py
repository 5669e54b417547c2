"""Delegations: the window, both names in history, exclusions, commands and org apply."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.approval_helpers import act, history, setup, snapshot, state_of, submitted
from tests.conftest import Lv

PEOPLE = {"seller": ["sales"], "lee": ["legal"], "fin": ["finance"], "deputy": ["finance"],
          "aide": []}
LEVELS = "        - {role: legal}\n        - {role: finance}\n"


def delegate(lv: Lv, source: str = "lee", target: str = "aide", first: str = "2026-03-03",
             last: str = "2026-03-05") -> None:
    result = act(lv, source, "org", "delegate", source, target, "--from", first,
                 "--until", last)
    assert result.exit_code == 0, result.output


def delegations(lv: Lv, *args: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(
        lv("org", "delegations", "--format", "json", *args).stdout)
    return rows


def test_delegate_command_reports(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)

    result = act(lv, "lee", "org", "delegate", "lee", "aide", "--from", "2026-03-03",
                 "--until", "2026-03-05")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == (
        "Delegation 1: aide may approve for lee from 2026-03-03 until 2026-03-05.")
    assert delegations(lv) == [{
        "created_by": "lee", "from_person": "lee", "id": 1, "problem": None, "revoked": False,
        "to_person": "aide", "valid_from": "2026-03-03", "valid_until": "2026-03-05"}]


@pytest.mark.parametrize(("when", "allowed"), [
    ("2026-03-02T23:59:00+08:00", False),
    ("2026-03-03T00:00:00+08:00", True),
    ("2026-03-04T12:00:00+08:00", True),
    ("2026-03-05T23:59:00+08:00", True),
    ("2026-03-06T00:00:00+08:00", False),
])
def test_delegate_acts_only_inside_window(lv: Lv, tmp_path: Path, when: str,
                                          allowed: bool) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    delegate(lv)
    number = submitted(lv)
    before = snapshot(lv, number)

    result = act(lv, "aide", "contract", "approve", number, now=when)

    if allowed:
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines()[0] == (
            f"{number}: aide approved level 1 (legal) for lee (delegation 1).")
        vote = next(row for row in history(lv, number) if row["kind"] == "vote")
        assert (vote["actor"], vote["on_behalf_of"], vote["role"]) == ("aide", "lee", "legal")
        assert vote["details"]["delegation"] == 1
    else:
        assert result.exit_code == 1
        assert result.stderr.strip() == (
            f"aide is not an approver of level 1 (legal) of {number}. Approvers of this level: "
            "lee.")
        assert snapshot(lv, number) == before


def test_on_behalf_of_outside_window_names_delegation(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    delegate(lv)
    number = submitted(lv)

    result = act(lv, "aide", "contract", "approve", number, "--on-behalf-of", "lee",
                 now="2026-03-06T09:00:00+08:00")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"aide may not vote for lee on {number}: no delegation from lee to aide covers today. "
        "'lvyue org delegations' lists the delegations.")


def test_delegator_used_excludes_delegate(lv: Lv, tmp_path: Path) -> None:
    """A delegate who approved at level 1 for lee cannot approve level 2 as themselves."""
    setup(lv, tmp_path, PEOPLE, LEVELS)
    delegate(lv, "lee", "deputy")
    number = submitted(lv)
    inside = "2026-03-04T09:00:00+08:00"
    assert act(lv, "deputy", "contract", "approve", number, now=inside).exit_code == 0

    result = act(lv, "deputy", "contract", "approve", number, now=inside)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"deputy already took part in this approval round of {number}: deputy voted for lee at "
        "level 1 (legal); one person approves at most one level of a round.")
    assert act(lv, "fin", "contract", "approve", number, now=inside).exit_code == 0
    assert state_of(lv, number) == "active"


def test_delegate_cannot_vote_for_delegator_who_voted(lv: Lv, tmp_path: Path) -> None:
    """fin approved level 2 herself, so her delegate cannot add a second vote for her."""
    levels = "        - {role: finance, quorum: 2}\n"
    setup(lv, tmp_path, dict(PEOPLE, fay=["finance"]), levels)
    delegate(lv, "fin", "aide")
    number = submitted(lv)
    inside = "2026-03-04T09:00:00+08:00"
    assert act(lv, "fin", "contract", "approve", number, now=inside).exit_code == 0

    result = act(lv, "aide", "contract", "approve", number, "--on-behalf-of", "fin", now=inside)

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"fin already voted in this approval round of {number} (level 1, finance); one person "
        "approves at most one level of a round.")


def test_submitter_cannot_vote_as_delegate(lv: Lv, tmp_path: Path) -> None:
    """The submitter is excluded as themselves, even when holding a delegation."""
    setup(lv, tmp_path, PEOPLE, LEVELS)
    delegate(lv, "lee", "seller")
    number = submitted(lv)

    result = act(lv, "seller", "contract", "approve", number, now="2026-03-04T09:00:00+08:00")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"seller may not vote on {number}: seller created the contract, and the initiator never "
        "approves or rejects it (separation of duties). Another approver has to decide.")


def test_delegate_cannot_vote_for_initiator(lv: Lv, tmp_path: Path) -> None:
    """The exclusion of the delegator carries over to the delegate."""
    people = dict(PEOPLE, boss=["sales", "legal"])
    setup(lv, tmp_path, people, LEVELS)
    delegate(lv, "boss", "aide")
    number = submitted(lv, "boss")

    result = act(lv, "aide", "contract", "approve", number, "--on-behalf-of", "boss",
                 now="2026-03-04T09:00:00+08:00")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"aide may not vote on {number}: boss created the contract, and the initiator never "
        "approves or rejects it (separation of duties). Another approver has to decide.")


def test_revoked_delegation_has_no_effect(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    delegate(lv)
    number = submitted(lv)

    revoked = act(lv, "lee", "org", "revoke", "1")
    result = act(lv, "aide", "contract", "approve", number, now="2026-03-04T09:00:00+08:00")

    assert revoked.stdout.strip() == "Delegation 1 revoked."
    assert result.exit_code == 1
    assert delegations(lv) == []
    assert delegations(lv, "--all")[0]["revoked"] is True


@pytest.mark.parametrize(("args", "code", "message"), [
    (("lee", "aide", "--from", "2026-3-3", "--until", "2026-03-05"), 2,
     ("Invalid value for --from: '2026-3-3' is not a date. Use YYYY-MM-DD, for example "
     "2026-03-01.")),
    (("lee", "aide", "--from", "2026-03-05", "--until", "2026-03-03"), 2,
     ("--until 2026-03-03 is before --from 2026-03-05; the window must end on or after the day "
     "it starts.")),
    (("lee", "lee", "--from", "2026-03-03", "--until", "2026-03-05"), 2,
     "lee cannot delegate to themselves; name another person as the delegate."),
    (("lee", "nobody", "--from", "2026-03-03", "--until", "2026-03-05"), 4,
     ("Person 'nobody' is not in the org file or is inactive. Use a person id from the org file "
     "('lvyue org apply' loads it).")),
    (("fin", "aide", "--from", "2026-03-03", "--until", "2026-03-05"), 1,
     ("lee may not delegate for fin: only the delegator creates a delegation. Run the command "
     "as fin (an administrator may use --as fin).")),
])
def test_delegate_bad_input_writes_nothing(lv: Lv, tmp_path: Path, args: tuple[str, ...],
                                           code: int, message: str) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)

    result = act(lv, "lee", "org", "delegate", *args)

    assert result.exit_code == code
    assert result.stderr.strip() == message
    assert delegations(lv, "--all") == []


def test_org_apply_keeps_delegations(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    delegate(lv)
    smaller = tmp_path / "smaller.yaml"
    smaller.write_text("people:\n  lee: {name: Lee, roles: [legal]}\n"
                       "  ops: {name: Ops, roles: [], logins: [lvyue-ops], "
                       "act_for_others: true}\n", encoding="utf-8")

    result = lv("org", "apply", str(smaller))

    assert result.exit_code == 0, result.output
    assert result.stderr.strip() == (
        "Warning: delegation 1 from lee to aide is kept, but it has no effect while aide is not "
        "in the org file or is inactive. Revoke it with 'lvyue org revoke 1' or add the person "
        "back.")
    assert delegations(lv)[0]["problem"] == (
        "no effect: aide not in the org file or inactive")
    assert lv("org", "apply", str(tmp_path / "org.yaml")).stderr == ""
    assert delegations(lv)[0]["problem"] is None


def test_mine_lists_delegated_tasks(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    delegate(lv)
    number = submitted(lv)

    inside = json.loads(act(lv, "aide", "tasks", "--mine", "--format", "json",
                            now="2026-03-04T09:00:00+08:00").stdout)
    outside = json.loads(act(lv, "aide", "tasks", "--mine", "--format", "json",
                             now="2026-03-07T09:00:00+08:00").stdout)

    assert [(row["contract"], row["waits_for"], row["for"]) for row in inside] == [
        (number, "lee", "lee")]
    assert outside == []
