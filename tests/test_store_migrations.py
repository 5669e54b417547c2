"""Migrations create the schema and leave the history protection in place."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from engine.store import protection
from tests.conftest import make_lv


def installed(url: str) -> set[str]:
    engine = create_engine(url if "://" in url else f"sqlite:///{url}")
    try:
        with engine.connect() as connection:
            return protection.installed_triggers(connection)
    finally:
        engine.dispose()


def test_db_upgrade_installs_triggers(sqlite_db: str) -> None:
    lv = make_lv(sqlite_db)

    first = lv("db", "upgrade")
    second = lv("db", "upgrade")

    assert first.exit_code == 0, first.output
    assert first.stdout.startswith("Database upgraded from empty to ")
    assert second.stdout.startswith("Database is up to date")
    assert installed(sqlite_db) == protection.expected_triggers("sqlite")


@pytest.mark.postgres
def test_db_upgrade_installs_triggers_on_postgresql(pg_url: str) -> None:
    result = make_lv(pg_url)("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert installed(pg_url) == protection.expected_triggers("postgresql")


def test_sqlite_pragmas_on_every_connection(sqlite_db: str) -> None:
    from engine.store.db import open_store

    store = open_store(sqlite_db, create=True)
    try:
        with store.engine.connect() as connection:
            pragmas = {name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
                       for name in ("journal_mode", "synchronous", "foreign_keys",
                                    "busy_timeout")}
    finally:
        store.dispose()

    assert pragmas == {"journal_mode": "wal", "synchronous": 2, "foreign_keys": 1,
                       "busy_timeout": 10000}


def test_db_backup_copies_history(sqlite_db: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import new_contract, prepare

    lv = make_lv(sqlite_db)
    prepare(lv)
    number = new_contract(lv)
    target = tmp_path / "copy.db"

    result = lv("db", "backup", str(target))
    copied = make_lv(str(target))("contract", "show", number, "--format", "json")

    assert result.exit_code == 0, result.output
    assert copied.exit_code == 0
    assert number in copied.stdout
    assert make_lv(str(target))("audit", "verify").exit_code == 0


def test_db_backup_refuses_existing_file(sqlite_db: str, tmp_path) -> None:  # type: ignore[no-untyped-def]
    lv = make_lv(sqlite_db)
    assert lv("db", "upgrade").exit_code == 0
    target = tmp_path / "exists.db"
    target.write_text("keep me")

    result = lv("db", "backup", str(target))

    assert result.exit_code == 2
    assert target.read_text() == "keep me"


def test_upgrade_from_0001_adds_obligation_tables(sqlite_db: str) -> None:
    from alembic import command
    from sqlalchemy import inspect

    from engine.store.db import Store
    from engine.store.migrate import _config, head_revision

    store = Store(f"sqlite:///{sqlite_db}")
    try:
        command.upgrade(_config(store), "0001")
        before = set(inspect(store.engine).get_table_names())
    finally:
        store.dispose()

    result = make_lv(sqlite_db)("db", "upgrade")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"Database upgraded from 0001 to {head_revision()}."
    assert {"obligations", "contract_events", "clock_marks"}.isdisjoint(before)
    engine = create_engine(f"sqlite:///{sqlite_db}")
    try:
        assert {"obligations", "contract_events", "clock_marks"} <= set(
            inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert installed(sqlite_db) == protection.expected_triggers("sqlite")
