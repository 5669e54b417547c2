"""The hash chain detects edited, deleted and truncated history."""

from __future__ import annotations

import sqlite3

import pytest

from tests.conftest import Lv, new_contract, prepare


NOW = "2026-03-02T10:00:00+08:00"
# created, submit, round started, legal vote, finance level started, finance vote,
# round approved, start_execution
ROWS = 8


def moved_contract(lv: Lv) -> str:
    prepare(lv)
    number = new_contract(lv)
    assert lv("--now", NOW, "--as", "wang_li", "contract", "fire", number, "submit").exit_code == 0
    assert lv("--now", NOW, "--as", "chen_jie", "contract", "approve", number).exit_code == 0
    assert lv("--now", NOW, "--as", "liu_yang", "contract", "approve", number).exit_code == 0
    return number


def test_verify_detects_edited_row(lv: Lv, sqlite_db: str) -> None:
    number = moved_contract(lv)
    with sqlite3.connect(sqlite_db) as connection:
        connection.execute("DROP TRIGGER history_no_update")
        connection.execute("UPDATE history SET reason = 'nothing to see' WHERE seq = 2")

    result = lv("audit", "verify")

    assert result.exit_code == 5
    assert f"{number}" in result.stdout
    assert "hash" in result.stdout
    assert result.stderr.strip() == "1 of 1 contracts have a broken history."


def test_verify_json_names_sequence(lv: Lv, sqlite_db: str) -> None:
    number = moved_contract(lv)
    with sqlite3.connect(sqlite_db) as connection:
        connection.execute("DROP TRIGGER history_no_update")
        connection.execute("UPDATE history SET actor = 'he_ping' WHERE seq = 3")

    result = lv("audit", "verify", "--format", "json")

    assert result.exit_code == 5
    assert '"contract": "%s"' % number in result.stdout
    assert '"seq": 3' in result.stdout


def test_verify_detects_truncated_chain(lv: Lv, sqlite_db: str) -> None:
    moved_contract(lv)
    with sqlite3.connect(sqlite_db) as connection:
        connection.execute("DROP TRIGGER history_no_delete")
        connection.execute("DELETE FROM history WHERE seq = ?", (ROWS,))

    result = lv("audit", "verify", "--format", "csv")

    assert result.exit_code == 5
    assert f",{ROWS},truncated," in result.stdout


def test_history_rejects_update_and_delete(lv: Lv, sqlite_db: str) -> None:
    moved_contract(lv)
    with sqlite3.connect(sqlite_db) as connection:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("UPDATE history SET reason = 'x'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("DELETE FROM history")


def test_verify_detects_state_edit(lv: Lv, sqlite_db: str) -> None:
    number = moved_contract(lv)
    with sqlite3.connect(sqlite_db) as connection:
        connection.execute("UPDATE contracts SET state = 'completed'")

    result = lv("audit", "verify", "--format", "csv")

    assert result.exit_code == 5
    assert f"{number},{ROWS},state," in result.stdout


@pytest.mark.postgres
def test_postgres_history_rejects_changes(pg_lv: Lv, pg_url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    moved_contract(pg_lv)
    engine = create_engine(pg_url)
    try:
        for statement in ("UPDATE history SET reason = 'x'", "DELETE FROM history",
                          "TRUNCATE history"):
            with engine.connect() as connection:
                with pytest.raises(DBAPIError, match="append-only"):
                    connection.execute(text(statement))
    finally:
        engine.dispose()
