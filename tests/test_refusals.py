"""Refused moves explain why and leave the contract and its history untouched."""

from __future__ import annotations

import json

from tests.conftest import Lv, new_contract, prepare


def snapshot(lv: Lv, number: str) -> tuple[str, str]:
    shown = lv("contract", "show", number, "--format", "json").stdout
    history = lv("contract", "history", number, "--format", "json").stdout
    return shown, history


def test_wrong_state_lists_allowed_triggers(lv: Lv) -> None:
    prepare(lv)
    number = new_contract(lv)
    before = snapshot(lv, number)

    result = lv("--as", "wang_li", "contract", "fire", number, "withdraw")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "'withdraw' is not allowed in state draft. Triggers allowed now: submit.")
    assert snapshot(lv, number) == before


def test_role_not_allowed(lv: Lv) -> None:
    prepare(lv)
    number = new_contract(lv)
    before = snapshot(lv, number)

    result = lv("--as", "liu_yang", "contract", "fire", number, "submit")

    assert result.exit_code == 1
    assert result.stderr.strip() == (
        "liu_yang may not fire 'submit': it needs one of the roles sales, and liu_yang holds "
        "finance.")
    assert snapshot(lv, number) == before


def test_role_option_not_held(lv: Lv) -> None:
    prepare(lv)
    number = new_contract(lv)

    result = lv("--as", "wang_li", "--role", "legal", "contract", "fire", number, "submit")

    assert result.exit_code == 1
    assert "wang_li does not hold role 'legal' (held: sales)" in result.stderr


def test_guard_false_shows_guard(lv: Lv) -> None:
    prepare(lv)
    number = new_contract(lv, "--set", "amount=0")
    before = snapshot(lv, number)

    result = lv("--as", "wang_li", "contract", "fire", number, "submit")

    assert result.exit_code == 1
    assert "the guard is false: money_gt(data.amount, \"0\")" in result.stderr
    assert snapshot(lv, number) == before


def test_unknown_contract_is_not_found(lv: Lv) -> None:
    prepare(lv)

    result = lv("--as", "wang_li", "contract", "fire", "HT-2026-999999", "submit")

    assert result.exit_code == 4
    assert result.stderr.startswith("Contract HT-2026-999999 not found.")


def test_stale_expect_version_is_conflict(lv: Lv) -> None:
    prepare(lv)
    number = new_contract(lv)
    before = snapshot(lv, number)

    result = lv("--as", "wang_li", "contract", "fire", number, "submit", "--expect-version", "7")

    assert result.exit_code == 3
    assert "is at row version 1, not 7" in result.stderr
    assert snapshot(lv, number) == before


def test_bad_set_value_is_bad_input(lv: Lv) -> None:
    prepare(lv)
    number = new_contract(lv)
    before = snapshot(lv, number)

    result = lv("--as", "wang_li", "contract", "fire", number, "submit", "--set",
                "payment_terms_days=soon")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Invalid value for --set payment_terms_days: 'soon' is not a whole number.")
    assert snapshot(lv, number) == before


def test_unknown_trigger_is_bad_input(lv: Lv) -> None:
    prepare(lv)
    number = new_contract(lv)
    before = snapshot(lv, number)

    result = lv("--as", "wang_li", "contract", "fire", number, "aprove")

    assert result.exit_code == 2
    assert result.stderr.strip() == ("Unknown trigger 'aprove' in process customer_contract. "
                                     "Triggers allowed now (state draft): submit.")
    assert snapshot(lv, number) == before


def test_role_option_checked_on_new(lv: Lv) -> None:
    prepare(lv)

    result = lv("--as", "wang_li", "--role", "legal", "contract", "new", "--process",
                "customer_contract", "--customer", "X", "--set", "amount=1")
    listed = json.loads(lv("contract", "list", "--format", "json").stdout)

    assert result.exit_code == 1
    assert "wang_li does not hold role 'legal' (held: sales)" in result.stderr
    assert listed == []


def test_duplicate_external_ref_names_contract(lv: Lv) -> None:
    prepare(lv)
    first = new_contract(lv, "--external-ref", "PO-1")

    result = lv("--as", "wang_li", "contract", "new", "--process", "customer_contract",
                "--customer", "Y", "--external-ref", "PO-1", "--set", "amount=1",
                "--set", "currency=CNY", "--set", "signed_on=2026-01-02",
                "--set", "payment_terms_days=1", "--set", "subject=s")

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"External reference 'PO-1' already belongs to contract {first}; each reference "
        "names one contract. Use another --external-ref.")


def test_now_option_does_not_change_recorded_at(lv: Lv) -> None:
    prepare(lv)
    number = new_contract(lv)

    result = lv("--now", "2020-01-01", "--as", "wang_li", "contract", "fire", number, "submit")
    history = json.loads(lv("contract", "history", number, "--format", "json").stdout)

    assert result.exit_code == 0, result.output
    assert history[-1]["effective_at"].startswith("2020-01-01 00:00:00")
    assert not history[-1]["recorded_at"].startswith("2020")


def test_read_command_never_creates_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_lv

    missing = tmp_path / "typo.db"
    result = make_lv(str(missing))("contract", "list")

    assert result.exit_code == 4
    assert not missing.exists()
    assert f"Database file {missing} not found." in result.stderr


def test_as_someone_else_needs_permission(lv: Lv) -> None:
    prepare(lv)
    number = new_contract(lv)

    result = lv("--as", "chen_jie", "contract", "fire", number, "submit", login="wangli")

    assert result.exit_code == 1
    assert "OS login 'wangli' may not act as 'chen_jie'" in result.stderr


def test_os_login_identifies_person(lv: Lv) -> None:
    prepare(lv)
    number = new_contract(lv)

    result = lv("contract", "fire", number, "submit", login="wangli")
    history = json.loads(lv("contract", "history", number, "--format", "json").stdout)

    assert result.exit_code == 0, result.output
    assert history[-1]["actor"] == "wang_li"
    assert history[-1]["os_login"] == "wangli"


def test_lvyue_actor_variable_names_actor(lv: Lv) -> None:
    prepare(lv)
    number = new_contract(lv)

    result = lv("contract", "fire", number, "submit", env={"LVYUE_ACTOR": "zhao_min"})
    history = json.loads(lv("contract", "history", number, "--format", "json").stdout)

    assert result.exit_code == 0, result.output
    assert history[-1]["actor"] == "zhao_min"
    assert history[-1]["os_login"] == "lvyue-ops"


def test_write_command_does_not_create_database(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_lv

    missing = tmp_path / "fresh.db"
    result = make_lv(str(missing))("--as", "wang_li", "contract", "new", "--process", "x",
                                   "--customer", "y")

    assert result.exit_code == 4
    assert "'lvyue org apply FILE'" in result.stderr
    assert not missing.exists()


def test_non_database_file_is_bad_input(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.conftest import make_lv

    text_file = tmp_path / "notes.txt"
    text_file.write_text("just some text, long enough to not be a SQLite header\n" * 20)

    result = make_lv(str(text_file))("contract", "list")

    assert result.exit_code == 2
    assert result.stderr.strip().endswith("is not a database file. Check --db or LVYUE_DB.")


def test_org_replace_needs_administrator(lv: Lv) -> None:
    from tests.conftest import ORG_FILE

    prepare(lv)

    result = lv("org", "apply", str(ORG_FILE), login="wangli")

    assert result.exit_code == 1
    assert result.stderr.startswith("OS login 'wangli' may not replace the org")


def test_table_output_shows_brackets_literally(lv: Lv) -> None:
    prepare(lv)
    result = lv("--as", "wang_li", "contract", "new", "--process", "customer_contract",
                "--customer", "Acme [red]Holdings[/red]", "--set", "amount=5",
                "--set", "currency=CNY", "--set", "signed_on=2026-01-02",
                "--set", "payment_terms_days=1", "--set", "subject=s")

    listed = lv("contract", "list")

    assert result.exit_code == 0, result.output
    assert "Acme [red]Holdings[/red]" in listed.stdout
