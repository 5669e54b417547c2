"""Alembic migrations run from inside the application (no alembic.ini needed)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from engine.errors import BadInputError
from engine.i18n import _

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def _config(store) -> Config:  # type: ignore[no-untyped-def]
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["store"] = store
    return config


def head_revision() -> str:
    script = ScriptDirectory.from_config(_config(None))
    head = script.get_current_head()
    assert head is not None
    return head


def current_revision(store) -> str | None:  # type: ignore[no-untyped-def]
    with store.engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade_to_head(store) -> tuple[str | None, str]:  # type: ignore[no-untyped-def]
    """Apply every pending migration; return (revision before, revision after)."""
    before = current_revision(store)
    command.upgrade(_config(store), "head")
    return before, head_revision()


def check_current(store) -> None:  # type: ignore[no-untyped-def]
    current = current_revision(store)
    head = head_revision()
    if current != head:
        raise BadInputError(
            _("The database schema is at revision {current}, but this Lvyue needs {head}. "
              "Run 'lvyue db upgrade' first.").format(current=current, head=head)
        )
