"""Votes racing in separate OS processes: each vote is counted once, a level starts once."""

from __future__ import annotations

import multiprocessing as mp
from pathlib import Path

import pytest

from tests.approval_helpers import NOW, events, history, setup, state_of, submitted
from tests.conftest import Lv

ROUNDS = 5
MAX_ATTEMPTS = 30
PEOPLE = {"seller": ["sales"], "ann": ["board"], "ben": ["board"], "cai": ["board"],
          "lee": ["legal"]}


def _vote_until_settled(db: str, number: str, voter: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    """Approve as `voter`; run again after a conflict (exit 3), as an operator would."""
    import os

    from engine.cli import build_cli

    os.environ["LOGNAME"] = "lvyue-ops"
    barrier.wait()
    codes = []
    for _attempt in range(MAX_ATTEMPTS):
        code = build_cli().main(["--db", db, "--now", NOW, "--as", voter, "contract", "approve",
                                 number], prog_name="lvyue", standalone_mode=False)
        codes.append(code)
        if code != 3:
            break
    results.put((voter, codes))


def race(db: str, number: str, voters: list[str]) -> dict[str, list[int]]:
    context = mp.get_context("fork")
    barrier = context.Barrier(len(voters))
    results = context.Queue()
    workers = [context.Process(target=_vote_until_settled,
                               args=(db, number, voter, barrier, results))
               for voter in voters]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    settled = [results.get(timeout=5) for _ in workers]
    return {voter: codes for voter, codes in settled}


def votes_of(lv: Lv, number: str) -> list[tuple[str, int]]:
    return [(row["actor"], row["details"]["level"]) for row in history(lv, number)
            if row["kind"] == "vote"]


def check_quorum_all(lv: Lv, db: str, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, "        - {role: board, quorum: all}\n"
                                "        - {role: legal}\n")
    for _round in range(ROUNDS):
        number = submitted(lv)

        outcome = race(db, number, ["ann", "ben", "cai"])

        assert {voter: codes[-1] for voter, codes in outcome.items()} == {
            "ann": 0, "ben": 0, "cai": 0}, outcome
        assert all(set(codes[:-1]) <= {3} for codes in outcome.values()), outcome
        assert sorted(votes_of(lv, number)) == [("ann", 1), ("ben", 1), ("cai", 1)]
        assert events(lv, number) == ["round_started", "level_started"]
        assert state_of(lv, number) == "approval"
    assert lv("audit", "verify").exit_code == 0


def check_quorum_any(lv: Lv, db: str, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, "        - {role: board, quorum: any}\n"
                                "        - {role: legal}\n")
    for _round in range(ROUNDS):
        number = submitted(lv)

        outcome = race(db, number, ["ann", "ben", "cai"])

        finals = sorted(codes[-1] for codes in outcome.values())
        assert finals == [0, 1, 1], outcome
        [winner] = [voter for voter, codes in outcome.items() if codes[-1] == 0]
        assert votes_of(lv, number) == [(winner, 1)]
        assert events(lv, number) == ["round_started", "level_started"]
    assert lv("audit", "verify").exit_code == 0


def check_same_voter_twice(lv: Lv, db: str, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, "        - {role: board, quorum: all}\n")
    for _round in range(ROUNDS):
        number = submitted(lv)

        outcome = race_same(db, number)

        assert sorted(outcome) == [0, 1], outcome
        assert votes_of(lv, number) == [("ann", 1)]


def race_same(db: str, number: str) -> list[int]:
    context = mp.get_context("fork")
    barrier = context.Barrier(2)
    results = context.Queue()
    workers = [context.Process(target=_vote_until_settled,
                               args=(db, number, "ann", barrier, results)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)
    return [results.get(timeout=5)[1][-1] for _ in workers]


def test_quorum_all_votes_race_on_sqlite(lv: Lv, sqlite_db: str, tmp_path: Path) -> None:
    check_quorum_all(lv, sqlite_db, tmp_path)


def test_quorum_any_votes_race_on_sqlite(lv: Lv, sqlite_db: str, tmp_path: Path) -> None:
    check_quorum_any(lv, sqlite_db, tmp_path)


@pytest.mark.postgres
def test_quorum_all_votes_race_on_postgresql(pg_lv: Lv, pg_url: str, tmp_path: Path) -> None:
    check_quorum_all(pg_lv, pg_url, tmp_path)


@pytest.mark.postgres
def test_quorum_any_votes_race_on_postgresql(pg_lv: Lv, pg_url: str, tmp_path: Path) -> None:
    check_quorum_any(pg_lv, pg_url, tmp_path)


@pytest.mark.postgres
def test_same_voter_twice_on_postgresql(pg_lv: Lv, pg_url: str, tmp_path: Path) -> None:
    check_same_voter_twice(pg_lv, pg_url, tmp_path)
