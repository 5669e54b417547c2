"""Shared fixtures: a CLI runner bound to a fresh database, SQLite or PostgreSQL."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from engine.cli import build_cli
from engine.i18n import set_language

ROOT = Path(__file__).resolve().parent.parent
ORG_FILE = ROOT / "examples" / "org.yaml"
CUSTOMER_PROCESS = ROOT / "processes" / "customer_contract.yaml"
SERVICE_LOGIN = "lvyue-ops"  # a login of the `ops` person, who may act for others

Lv = Callable[..., Result]


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("LVYUE_ACTOR", "LVYUE_DB", "LVYUE_LANG", "LVYUE_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LOGNAME", SERVICE_LOGIN)
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    set_language("en")


def make_lv(db: str) -> Lv:
    def lv(*args: str, login: str | None = None, env: dict[str, str] | None = None) -> Result:
        environment = dict(env or {})
        if login is not None:
            environment["LOGNAME"] = login
        set_language("en")
        return CliRunner().invoke(build_cli(), ["--db", db, *args], env=environment,
                                  catch_exceptions=False)

    return lv


@pytest.fixture
def sqlite_db(tmp_path: Path) -> str:
    return str(tmp_path / "lvyue.db")


@pytest.fixture
def lv(sqlite_db: str) -> Lv:
    return make_lv(sqlite_db)


def _pg_base_url() -> str:
    url = os.environ.get("LVYUE_TEST_PG_URL")
    if not url:
        pytest.skip("LVYUE_TEST_PG_URL is not set; PostgreSQL tests need a server "
                    "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A brand-new PostgreSQL database for one test, dropped afterwards."""
    base = make_url(_pg_base_url())
    name = f"lvyue_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def pg_lv(pg_url: str) -> Lv:
    return make_lv(pg_url)


def prepare(lv: Lv) -> None:
    """Apply the sample org and deploy the customer contract process."""
    result = lv("org", "apply", str(ORG_FILE))
    assert result.exit_code == 0, result.output
    result = lv("process", "deploy", str(CUSTOMER_PROCESS))
    assert result.exit_code == 0, result.output


CONTRACT_DATA = ("amount=860000.00", "currency=CNY", "signed_on=2026-01-12",
                 "payment_terms_days=30", "subject=Packaging line maintenance")


def new_contract(lv: Lv, *extra: str) -> str:
    sets = [arg for pair in CONTRACT_DATA for arg in ("--set", pair)]
    result = lv("--as", "wang_li", "contract", "new", "--process", "customer_contract",
                "--customer", "Hengtong", *sets, *extra)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()
