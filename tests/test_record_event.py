"""`lvyue contract record`: events as history rows, partial and back-dated payments."""

from __future__ import annotations

import json

import pytest

from tests.conftest import Lv
from tests.ledger_helpers import history, new_invoice, prepare_ledger, show


def record(lv: Lv, number: str, *args: str, now: str = "2025-04-10") -> tuple[int, str, str]:
    result = lv("--now", now, "--as", "liu_yang", "contract", "record", number,
                "payment_received", *args)
    return result.exit_code, result.stdout, result.stderr


def test_partial_payments_add_up_and_complete(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv, due_date="2025-04-02", amount="100.00")

    code, first, _ = record(lv, number, "--at", "2025-03-20", "--set", "amount=40.00")
    code_2, second, _ = record(lv, number, "--at", "2025-03-28T15:30:00+08:00",
                               "--set", "amount=60.00", "--set", "reference=BANK-7")

    assert (code, code_2) == (0, 0)
    assert (f"{number}: obligation payment: outstanding 60.00 of 100.00, due 2025-04-02, "
            "days overdue 0.") in first
    assert f"{number}: complete execution -> completed (by system)" in second
    rows = history(lv, number)
    assert [(row["kind"], row["trigger"]) for row in rows] == [
        ("created", None), ("event", "payment_received"), ("event", "payment_received"),
        ("transition", "complete")]
    assert rows[1]["effective_at"] == "2025-03-20 00:00:00+0800"
    assert rows[2]["effective_at"] == "2025-03-28 15:30:00+0800"
    assert rows[2]["details"]["fields"] == {"amount": "60.00", "reference": "BANK-7"}
    assert rows[2]["actor"] == "liu_yang"
    assert rows[3]["rule"] == "auto:complete"
    assert lv("audit", "verify").exit_code == 0


def test_payment_cures_breach_and_completes(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv, due_date="2025-04-02")
    assert lv("tick", "--now", "2025-05-03").exit_code == 0

    code, output, _ = record(lv, number, "--set", "amount=100.00", now="2025-05-06")

    assert code == 0
    assert f"{number}: cure breach -> execution (by system)" in output
    assert f"{number}: complete execution -> completed (by system)" in output
    assert show(lv, number)["state"] == "completed"


def test_partial_payment_keeps_breach(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv, due_date="2025-04-02")
    assert lv("tick", "--now", "2025-05-03").exit_code == 0

    code, output, _ = record(lv, number, "--set", "amount=99.99", now="2025-05-06")

    assert code == 0
    assert "days overdue 34." in output
    assert show(lv, number)["state"] == "breach"


def test_back_dated_payment_undoes_no_transition(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv, due_date="2025-04-02")
    assert lv("tick", "--now", "2025-05-03").exit_code == 0

    code, _, _ = record(lv, number, "--at", "2025-04-01", "--set", "amount=100.00",
                        now="2025-05-08")
    kpi = json.loads(lv("--now", "2025-05-08", "report", "kpi", "--format", "json").stdout)

    assert code == 0
    transitions = [row["trigger"] for row in history(lv, number) if row["kind"] == "transition"]
    assert transitions == ["report_breach", "cure", "complete"]
    assert (kpi["on_time"], kpi["late"], kpi["breached"], kpi["ever_overdue"]) == (1, 0, 1, 1)


def test_same_key_is_recorded_once(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv)
    record(lv, number, "--at", "2025-03-20", "--set", "amount=40.00", "--key", "BANK-1")
    before = show(lv, number)

    code, output, _ = record(lv, number, "--at", "2025-03-20", "--set", "amount=40.00",
                             "--key", "BANK-1")

    assert code == 0
    assert output.strip() == (f"{number}: payment_received with this key is already recorded; "
                              "nothing changed.")
    assert show(lv, number) == before


def test_same_key_with_other_values_is_refused(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv)
    record(lv, number, "--at", "2025-03-20", "--set", "amount=40.00", "--key", "BANK-1")
    before = history(lv, number)

    code, _, error = record(lv, number, "--at", "2025-03-20", "--set", "amount=45.00",
                            "--key", "BANK-1")

    assert code == 2
    assert error.strip() == (
        f"Event key 'BANK-1' of contract {number} was already used for payment_received at "
        "2025-03-20 00:00:00+0800 with other values; nothing was recorded. Use another --key.")
    assert history(lv, number) == before


@pytest.mark.parametrize(("args", "message"), [
    (("--set", "amount=12,5"),
     ("Invalid value for event field amount: '12,5' is not an amount of 0 or more. Write it like "
      "1250.00.")),
    (("--set", "amount=-5.00"),
     ("Invalid value for event field amount: '-5.00' is not an amount of 0 or more. Write it "
      "like 1250.00.")),
    (("--set", "reference=X"),
     "Event payment_received needs the field(s) amount. Add --set amount=VALUE."),
    (("--set", "amount=1", "--set", "payer=X"),
     "Event payment_received has no field 'payer'. Its fields: amount, reference."),
    (("--set", "amount=1", "--at", "2025-04-11"),
     ("Invalid value for --at: 2025-04-11 00:00:00+0800 is later than the clock "
      "(2025-04-10 00:00:00+0800). Record an event once it has happened.")),
    (("--set", "amount=1", "--at", "2025-03-02"),
     ("Invalid value for --at: payment_received at 2025-03-02 00:00:00+0800 is before contract "
      "HT-2025-000001 took effect (2025-03-03 00:00:00+0800).")),
    (("--set", "amount=1", "--at", "3/20/2025"),
     ("Invalid value for --at: '3/20/2025' is not an ISO date or time. Use 2026-03-01 or "
      "2026-03-01T09:30:00+08:00.")),
])
def test_bad_event_input_changes_nothing(lv: Lv, args: tuple[str, ...], message: str) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv)
    before = history(lv, number)

    code, _, error = record(lv, number, *args)

    assert code == 2
    assert error.strip() == message
    assert history(lv, number) == before


def test_unknown_event_is_bad_input(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv)

    result = lv("--now", "2025-04-10", "contract", "record", number, "goods_returned")

    assert result.exit_code == 2
    assert result.stderr.strip() == ("Unknown event 'goods_returned' in process invoice_payment. "
                                     "Events it declares: payment_received.")


def test_unknown_contract_is_not_found(lv: Lv) -> None:
    prepare_ledger(lv)

    result = lv("contract", "record", "HT-2025-000099", "payment_received", "--set", "amount=1")

    assert result.exit_code == 4


def test_record_json_output(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv)

    result = lv("--now", "2025-04-10", "contract", "record", number, "payment_received",
                "--set", "amount=100", "--format", "json")

    shown = json.loads(result.stdout)
    assert shown["moves"] == [["complete", "execution", "completed", "system"]]
    assert shown["obligations"]["payment"]["settled"] is True
    assert shown["obligations"]["payment"]["settled_amount"] == "100.00"


def test_show_lists_obligations(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv, due_date="2025-04-02")
    record(lv, number, "--at", "2025-03-20", "--set", "amount=40.00")
    assert lv("tick", "--now", "2025-04-03").exit_code == 0

    shown = lv("--now", "2025-04-12", "contract", "show", number, "--format", "json")

    assert json.loads(shown.stdout)["obligations"] == {"payment": {
        "due": "2025-04-02", "amount": "100.00", "settled_amount": "40.00",
        "outstanding": "60.00", "settled": False, "overdue": True, "days_overdue": 10}}


def test_tick_does_not_apply_recorded_event_again(lv: Lv) -> None:
    prepare_ledger(lv)
    number = new_invoice(lv, due_date="2025-04-02")
    record(lv, number, "--at", "2025-03-20", "--set", "amount=40.00")
    before = history(lv, number)

    output = lv("tick", "--now", "2025-03-25").stdout

    assert "0 contract changes." in output
    assert history(lv, number) == before
