"""Database engines, sessions and transactions for SQLite and PostgreSQL."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DatabaseError,
    DBAPIError,
    IntegrityError,
    OperationalError,
)
from sqlalchemy.orm import Session

from engine.errors import BadInputError, ConflictError, NotFoundError
from engine.i18n import _

log = logging.getLogger(__name__)

DEFAULT_FILE = "lvyue.db"
SQLITE_BUSY_TIMEOUT_MS = 10_000
_WRITE = "lvyue_write"


def resolve_url(option: str | None) -> str:
    """Return the database URL: --db, else LVYUE_DB, else ./lvyue.db (a path becomes a URL)."""
    value = option or os.environ.get("LVYUE_DB") or DEFAULT_FILE
    if "://" not in value:
        return "sqlite:///" + str(Path(value))
    if value.startswith("postgresql://") or value.startswith("postgres://"):
        value = "postgresql+psycopg://" + value.split("://", 1)[1]
    return value


def sqlite_path(url: str) -> Path | None:
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    database = parsed.database or ""
    if database in ("", ":memory:"):
        return None
    return Path(database)


def _install_sqlite_pragmas(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):  # type: ignore[no-untyped-def]
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so writes can use IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # type: ignore[no-untyped-def]
        if conn.get_execution_options().get(_WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    try:
        engine = create_engine(url, future=True)
    except (ArgumentError, ImportError) as exc:
        raise BadInputError(
            _("Invalid database URL {url!r}: {error}. Use a file path or a URL such as "
              "postgresql+psycopg://user@127.0.0.1/db.").format(url=url, error=exc)
        ) from exc
    if engine.dialect.name == "sqlite":
        _install_sqlite_pragmas(engine)
    return engine


class Store:
    """One database: its engine plus the rules for opening read and write transactions."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.dialect = self.engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        with Session(self.engine) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction that writes; commits at the end or rolls back on any error.

        SQLite starts it with BEGIN IMMEDIATE, so two writers never both read
        the same row version; a busy database or a serialization failure
        becomes a ConflictError (exit 3).
        """
        connection = self.engine.connect().execution_options(**{_WRITE: True})
        try:
            with Session(bind=connection) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        except OperationalError as exc:
            raise _as_conflict(exc) from exc
        except IntegrityError as exc:
            if "uq_history_contract_seq" in str(exc.orig) or "history.contract_id" in str(exc.orig):
                raise ConflictError(
                    _("Another command appended to the same contract history at the same "
                      "time; nothing was written. Run the command again.")
                ) from exc
            raise
        except DBAPIError as exc:
            if _is_serialization_failure(exc):
                raise _as_conflict(exc) from exc
            raise
        finally:
            connection.close()

    def has_schema(self) -> bool:
        return inspect(self.engine).has_table("alembic_version")

    def dispose(self) -> None:
        self.engine.dispose()


def _is_serialization_failure(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None)
    return code in ("40001", "40P01", "55P03")


def _as_conflict(exc: DBAPIError) -> Exception:
    text = str(exc.orig).lower()
    if "locked" in text or "busy" in text or _is_serialization_failure(exc):
        log.info("write conflict: %s", exc.orig)
        return ConflictError(
            _("The database is busy with another change ({error}); nothing was written. "
              "Run the command again.").format(error=exc.orig)
        )
    return exc


def open_store(option: str | None, *, create: bool) -> Store:
    """Open the store; read-only callers pass create=False and get exit 4 for a missing file.

    A writer on a brand-new database gets the schema created by the migrations.
    """
    from engine.store.migrate import upgrade_to_head, check_current

    url = resolve_url(option)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        if not create:
            raise NotFoundError(
                _("Database file {path} not found. Check --db or LVYUE_DB, or create it with "
                  "'lvyue db upgrade'.").format(path=path)
            )
        if not path.parent.exists():
            raise BadInputError(
                _("Folder {folder} for database file {path} does not exist; create it first.")
                .format(folder=path.parent, path=path)
            )
    store = Store(url)
    try:
        has_schema = store.has_schema()
    except DatabaseError as exc:
        store.dispose()
        if "not a database" in str(exc.orig):
            raise BadInputError(
                _("{url} is not a database file. Check --db or LVYUE_DB.").format(
                    url=_safe_url(url))
            ) from exc
        raise BadInputError(
            _("Cannot connect to database {url}: {error}. Check --db or LVYUE_DB and that the "
              "server is running.").format(url=_safe_url(url), error=str(exc.orig).strip())
        ) from exc
    if not has_schema:
        if not create:
            raise NotFoundError(
                _("Database {url} has no Lvyue tables. Run 'lvyue db upgrade' first.")
                .format(url=_safe_url(url))
            )
        upgrade_to_head(store)
    else:
        check_current(store)
    return store


def _safe_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)
