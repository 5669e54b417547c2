"""The approval migration: tables after `db upgrade`, and a downgrade that removes them."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import inspect

from engine.store import protection
from engine.store.db import Store
from engine.store.migrate import _config, current_revision, head_revision
from tests.conftest import make_lv

APPROVAL_TABLES = {"approval_rounds", "approval_levels", "approval_approvers", "approval_votes",
                   "delegations"}


def tables(store: Store) -> set[str]:
    return set(inspect(store.engine).get_table_names())


def check_upgrade_and_downgrade(url: str) -> None:
    assert make_lv(url)("db", "upgrade").exit_code == 0
    store = Store(url if "://" in url else f"sqlite:///{url}")
    try:
        assert APPROVAL_TABLES <= tables(store)
        assert current_revision(store) == head_revision()

        command.downgrade(_config(store), "0003-1")
        assert not APPROVAL_TABLES & tables(store)
        command.upgrade(_config(store), "head")

        assert APPROVAL_TABLES <= tables(store)
        with store.engine.connect() as connection:
            dialect = connection.dialect.name
            assert protection.installed_triggers(connection) == protection.expected_triggers(
                dialect)
    finally:
        store.dispose()


def test_approval_migration_on_sqlite(sqlite_db: str) -> None:
    check_upgrade_and_downgrade(sqlite_db)


@pytest.mark.postgres
def test_approval_migration_on_postgresql(pg_url: str) -> None:
    check_upgrade_and_downgrade(pg_url)
