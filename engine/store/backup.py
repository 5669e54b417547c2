"""Consistent copies of a SQLite store."""

from __future__ import annotations

from pathlib import Path

from engine.errors import BadInputError
from engine.i18n import _
from engine.store.db import Store


def backup_sqlite(store: Store, target: str) -> None:
    """Copy the database with VACUUM INTO, which reads one consistent snapshot."""
    if store.dialect != "sqlite":
        raise BadInputError(_("lvyue db backup copies SQLite files; back up PostgreSQL with "
                              "pg_dump."))
    path = Path(target)
    if path.exists():
        raise BadInputError(_("Backup file {path} already exists; choose a new name.")
                            .format(path=path))
    if not path.parent.exists():
        raise BadInputError(_("Folder {folder} for the backup does not exist; create it first.")
                            .format(folder=path.parent))
    # VACUUM cannot run inside a transaction, and SQLAlchemy connections always begin one,
    # so this uses the driver connection (autocommit, see db._install_sqlite_pragmas).
    raw = store.engine.raw_connection()
    try:
        raw.cursor().execute("VACUUM INTO ?", (str(path),))
    finally:
        raw.close()
