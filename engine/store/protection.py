"""Database triggers that make the history table append-only.

Every migration that touches `history` calls `install()` again at its end,
so the protection survives table rebuilds (SQLite batch mode drops triggers).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

SQLITE_TRIGGERS = {
    "history_no_update": (
        "CREATE TRIGGER IF NOT EXISTS history_no_update BEFORE UPDATE ON history "
        "BEGIN SELECT RAISE(ABORT, 'history is append-only: UPDATE is not allowed'); END"
    ),
    "history_no_delete": (
        "CREATE TRIGGER IF NOT EXISTS history_no_delete BEFORE DELETE ON history "
        "BEGIN SELECT RAISE(ABORT, 'history is append-only: DELETE is not allowed'); END"
    ),
}

# "%%" because the statement goes through the driver's paramstyle (psycopg uses %s).
PG_FUNCTION = """
CREATE OR REPLACE FUNCTION lvyue_history_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'history is append-only: %% is not allowed', TG_OP;
END;
$$ LANGUAGE plpgsql
"""

PG_TRIGGERS = {
    "history_no_update_delete": (
        "CREATE TRIGGER history_no_update_delete BEFORE UPDATE OR DELETE ON history "
        "FOR EACH ROW EXECUTE FUNCTION lvyue_history_append_only()"
    ),
    "history_no_truncate": (
        "CREATE TRIGGER history_no_truncate BEFORE TRUNCATE ON history "
        "FOR EACH STATEMENT EXECUTE FUNCTION lvyue_history_append_only()"
    ),
}


def expected_triggers(dialect: str) -> set[str]:
    return set(SQLITE_TRIGGERS if dialect == "sqlite" else PG_TRIGGERS)


def install(connection: Connection) -> None:
    if connection.dialect.name == "sqlite":
        for statement in SQLITE_TRIGGERS.values():
            connection.exec_driver_sql(statement)
        return
    connection.exec_driver_sql(PG_FUNCTION)
    for name, statement in PG_TRIGGERS.items():
        connection.exec_driver_sql(f"DROP TRIGGER IF EXISTS {name} ON history")
        connection.exec_driver_sql(statement)


def installed_triggers(connection: Connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        rows = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='history'"
        )
    else:
        rows = connection.exec_driver_sql(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'history'::regclass AND NOT tgisinternal"
        )
    return {row[0] for row in rows}
