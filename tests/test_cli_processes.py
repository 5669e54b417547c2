"""`lvyue process …` and other commands as a process owner uses them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import CUSTOMER_PROCESS, Lv, make_lv, prepare


def test_validate_reports_ok(lv: Lv) -> None:
    result = lv("process", "validate", str(CUSTOMER_PROCESS))

    assert result.exit_code == 0
    assert result.stdout.strip().endswith(
        "customer_contract.yaml: OK (customer_contract version 1, 8 states, 11 transitions)")


def test_validate_bad_file_exits_2(lv: Lv, tmp_path: Path) -> None:
    broken = tmp_path / "customer_contract.yaml"
    broken.write_text(CUSTOMER_PROCESS.read_text(encoding="utf-8").replace(
        "    to: approval\n", "    to: aproval\n", 1), encoding="utf-8")

    result = lv("process", "validate", str(broken))

    assert result.exit_code == 2
    assert f"{broken}:" in result.stderr
    assert "aproval" in result.stderr
    assert result.stderr.strip().endswith("1 of 1 files have problems.")


def test_redeploy_same_content_changes_nothing(lv: Lv) -> None:
    prepare(lv)

    result = lv("process", "deploy", str(CUSTOMER_PROCESS))

    assert result.exit_code == 0
    assert result.stdout.strip() == ("customer_contract version 1 is already deployed with "
                                     "the same content; nothing changed.")


def test_deploy_changed_content_same_version_rejected(lv: Lv, tmp_path: Path) -> None:
    prepare(lv)
    changed = tmp_path / "customer_contract.yaml"
    changed.write_text(CUSTOMER_PROCESS.read_text(encoding="utf-8").replace(
        "Customer contract fulfilment", "Customer contract lifecycle"), encoding="utf-8")

    result = lv("process", "deploy", str(changed))
    listed = json.loads(lv("process", "list", "--format", "json").stdout)

    assert result.exit_code == 2
    assert "is already deployed with different content" in result.stderr
    assert "raise 'version'" in result.stderr
    assert [row["version"] for row in listed if row["process"] == "customer_contract"] == [1]


def test_deploy_new_version_keeps_old_contracts(lv: Lv, tmp_path: Path) -> None:
    from tests.conftest import new_contract

    prepare(lv)
    number = new_contract(lv)
    newer = tmp_path / "customer_contract.yaml"
    newer.write_text(CUSTOMER_PROCESS.read_text(encoding="utf-8").replace(
        "version: 1", "version: 2", 1), encoding="utf-8")

    deployed = lv("process", "deploy", str(newer))
    shown = json.loads(lv("contract", "show", number, "--format", "json").stdout)
    second = new_contract(lv)
    second_shown = json.loads(lv("contract", "show", second, "--format", "json").stdout)

    assert deployed.exit_code == 0, deployed.output
    assert shown["process_version"] == 1
    assert second_shown["process_version"] == 2


def test_process_show_json_lists_transitions(lv: Lv) -> None:
    prepare(lv)

    shown = json.loads(lv("process", "show", "customer_contract", "--format", "json").stdout)

    assert shown["version"] == 1
    assert shown["states"]["draft"]["initial"] is True
    assert shown["transitions"][0]["trigger"] == "submit"
    assert shown["transitions"][0]["guard"] == 'money_gt(data.amount, "0")'


def test_process_show_unknown_is_not_found(lv: Lv) -> None:
    prepare(lv)

    result = lv("process", "show", "nope")

    assert result.exit_code == 4
    assert result.stderr.startswith("Process 'nope' is not deployed.")


def test_diagram_from_file_needs_no_database(lv: Lv, sqlite_db: str) -> None:
    result = lv("process", "diagram", str(CUSTOMER_PROCESS))

    assert result.exit_code == 0
    assert result.stdout.startswith("stateDiagram-v2")
    assert "draft --> approval" in result.stdout
    assert not Path(sqlite_db).exists()


def test_contract_new_reads_data_file(lv: Lv, tmp_path: Path) -> None:
    prepare(lv)
    data = tmp_path / "data.yaml"
    data.write_text('amount: "1200.50"\ncurrency: EUR\nsigned_on: 2026-05-04\n'
                    "payment_terms_days: 15\nsubject: Spare parts\n", encoding="utf-8")

    result = lv("--as", "wang_li", "contract", "new", "--process", "customer_contract",
                "--customer", "Acme", "--data", str(data))
    shown = json.loads(lv("contract", "show", result.stdout.strip(), "--format", "json").stdout)

    assert result.exit_code == 0, result.output
    assert shown["data"]["amount"] == "1200.50"
    assert shown["data"]["signed_on"] == "2026-05-04"


def test_contract_new_unquoted_fraction_rejected(lv: Lv, tmp_path: Path) -> None:
    prepare(lv)
    data = tmp_path / "data.yaml"
    data.write_text("amount: 1200.50\ncurrency: EUR\nsigned_on: 2026-05-04\n"
                    "payment_terms_days: 15\nsubject: Spare parts\n", encoding="utf-8")

    result = lv("--as", "wang_li", "contract", "new", "--process", "customer_contract",
                "--customer", "Acme", "--data", str(data))
    listed = json.loads(lv("contract", "list", "--format", "json").stdout)

    assert result.exit_code == 2
    assert "data field amount: the number 1200.50 has a fraction" in result.stderr
    assert listed == []


def test_contract_new_missing_fields_listed(lv: Lv) -> None:
    prepare(lv)

    result = lv("--as", "wang_li", "contract", "new", "--process", "customer_contract",
                "--customer", "Acme", "--set", "currency=XXX")

    assert result.exit_code == 2
    assert "data field currency: 'XXX' is not one of ['CNY', 'USD', 'EUR']" in result.stderr
    assert "'amount' is a required property" in result.stderr


def test_org_apply_duplicate_login_rejected(lv: Lv, tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    org.write_text("people:\n  a_one:\n    name: A\n    roles: [sales]\n    logins: [same]\n"
                   "  b_two:\n    name: B\n    roles: [legal]\n    logins: [same]\n",
                   encoding="utf-8")

    result = lv("org", "apply", str(org))

    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"{org}:9:14: login 'same' already belongs to a_one; a login maps to one person.")


def test_org_apply_reports_schema_error_with_line(lv: Lv, tmp_path: Path) -> None:
    org = tmp_path / "org.yaml"
    org.write_text("people:\n  a_one:\n    name: A\n    role: [sales]\n", encoding="utf-8")

    result = lv("org", "apply", str(org))

    assert result.exit_code == 2
    assert result.stderr.startswith(f"{org}:")
    assert "role" in result.stderr


def test_unreachable_postgres_is_bad_input() -> None:
    lv = make_lv("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")

    result = lv("contract", "list")

    assert result.exit_code == 2
    assert result.stderr.startswith("Cannot connect to database postgresql+psycopg://")


def test_demo_runs_and_verifies(lv: Lv) -> None:
    result = lv("demo")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip().endswith("every chain intact.")

