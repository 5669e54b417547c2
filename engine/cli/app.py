"""Root command, shared context and the mapping from errors to exit codes."""

from __future__ import annotations

import logging
import os
import sys
import traceback
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy.orm import Session

from engine.clock import parse_time, utcnow
from engine.errors import ExitCode, LvyueError, NotFoundError
from engine.i18n import _, set_language
from engine.services.identity import Claim, Identity, resolve
from engine.store.db import Store, open_store, resolve_url, sqlite_path

log = logging.getLogger("lvyue")


@dataclass
class AppContext:
    """Options of the root command, shared by every subcommand."""

    db: str | None
    claim: Claim
    now_text: str | None = None
    _stores: dict[bool, Store] = field(default_factory=dict)

    def store(self, *, create: bool) -> Store:
        if create not in self._stores:
            self._stores[create] = open_store(self.db, create=create)
        return self._stores[create]

    def now(self) -> datetime:
        return parse_time(self.now_text, "--now") if self.now_text else utcnow()

    @contextmanager
    def writing(self) -> Iterator[tuple[Session, Identity]]:
        """One write transaction plus the resolved identity of the person running the command.

        A missing SQLite file is not created here: nobody could be identified in it
        before an org is applied, so the command fails without leaving an empty file.
        """
        path = sqlite_path(resolve_url(self.db))
        if path is not None and not path.exists():
            raise NotFoundError(
                _("Database file {path} not found. Create it by applying an org file: "
                  "'lvyue org apply FILE' (or check --db and LVYUE_DB).").format(path=path)
            )
        with self.store(create=True).write() as session:
            yield session, resolve(session, self.claim)

    def close(self) -> None:
        for store in self._stores.values():
            store.dispose()


def app(ctx: click.Context) -> AppContext:
    return ctx.find_object(AppContext)


def scan_language(argv: Sequence[str]) -> str | None:
    """Find --lang before click parses, so help texts are built in that language."""
    for index, arg in enumerate(argv):
        if arg == "--lang" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return os.environ.get("LVYUE_LANG")


def log_path() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "lvyue" / "lvyue.log"


def report_internal_error(exc: BaseException) -> None:
    path = log_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as handle:
            handle.write(f"--- {utcnow().isoformat()} {' '.join(sys.argv)}\n")
            handle.write("".join(traceback.format_exception(exc)))
        where = str(path)
    except OSError:
        where = "-"
    click.echo(_("Internal error: {error}. Details are in {log}.").format(
        error=f"{type(exc).__name__}: {exc}".splitlines()[0][:300], log=where), err=True)


class LvyueGroup(click.Group):
    """Root group whose main() turns every outcome into one of the exit codes in README.md."""

    def main(self, args=None, prog_name=None, complete_var=None,  # type: ignore[override]
             standalone_mode=True, **extra):
        code = self._run(args, prog_name, complete_var, **extra)
        if standalone_mode:
            sys.exit(code)
        return code

    def _run(self, args, prog_name, complete_var, **extra) -> int:  # type: ignore[no-untyped-def]
        try:
            value = super().main(args=args, prog_name=prog_name or "lvyue",
                                 complete_var=complete_var, standalone_mode=False, **extra)
            return value if isinstance(value, int) else ExitCode.OK
        except LvyueError as exc:
            click.echo(exc.message, err=True)
            return exc.exit_code
        except click.ClickException as exc:
            exc.show()
            return ExitCode.BAD_INPUT
        except (KeyboardInterrupt, click.exceptions.Abort):
            click.echo(_("Interrupted; the current transaction was rolled back."), err=True)
            return ExitCode.INTERRUPTED
        except Exception as exc:  # noqa: BLE001 - the CLI edge reports every other failure as 70
            report_internal_error(exc)
            return ExitCode.INTERNAL


def root_options(function):  # type: ignore[no-untyped-def]
    options = [
        click.option("--db", envvar="LVYUE_DB", metavar="URL|FILE",
                     help=_("Database: a SQLite file or SQLAlchemy URL (default lvyue.db; "
                            "env LVYUE_DB).")),
        click.option("--as", "as_person", metavar="PERSON",
                     help=_("Act as this person (default LVYUE_ACTOR, else your OS login).")),
        click.option("--role", metavar="ROLE", help=_("Act in this role of yours.")),
        click.option("--lang", type=click.Choice(["en", "zh-CN"], case_sensitive=False),
                     help=_("Language of messages and reports (default: LVYUE_LANG or the "
                            "locale).")),
        click.option("--now", "now_text", metavar="TIME", hidden=False,
                     help=_("Pretend the clock reads TIME (ISO date or time) for this "
                            "command.")),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def make_root() -> click.Group:
    @click.group(cls=LvyueGroup,
                 help=_("Lvyue (履约): supervise how customers fulfil their contracts."),
                 context_settings={"help_option_names": ["-h", "--help"]})
    @root_options
    @click.version_option(package_name="lvyue", prog_name="lvyue")
    @click.pass_context
    def root(ctx: click.Context, db: str | None, as_person: str | None, role: str | None,
             lang: str | None, now_text: str | None) -> None:
        if lang:
            set_language(lang)
        context = AppContext(db=db, claim=Claim(as_person, role), now_text=now_text)
        ctx.obj = context
        ctx.call_on_close(context.close)

    return root
