"""Amount routing in the shipped processes: the CFO level applies from its threshold on."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine import PROCESSES_DIR
from tests.approval_helpers import NOW, act, history, state_of
from tests.conftest import ORG_FILE, Lv


def deploy_all(lv: Lv) -> None:
    assert lv("org", "apply", str(ORG_FILE)).exit_code == 0
    for path in sorted(PROCESSES_DIR.glob("*.yaml")):
        result = lv("process", "deploy", str(path))
        assert result.exit_code == 0, result.output


def half(amount: str) -> tuple[str, str]:
    total = Decimal(amount)
    first = (total / 2).quantize(Decimal("0.01"))
    return str(first), str(total - first)


def data_for(process: str, amount: str) -> list[str]:
    if process == "customer_contract":
        return [f"amount={amount}", "currency=CNY", "signed_on=2026-03-02",
                "payment_terms_days=30", "subject=Spare parts"]
    if process == "procurement_contract":
        return [f"amount={amount}", "currency=CNY", "signed_on=2026-03-02",
                "delivery_due=2026-04-30", "subject=Steel"]
    first, second = half(amount)
    return [f"total_amount={amount}", f"milestone_1_amount={first}",
            f"milestone_2_amount={second}", "currency=CNY", "signed_on=2026-03-02",
            "acceptance_period_days=10", "subject=Framework"]


SUBMITTER = {"customer_contract": "wang_li", "procurement_contract": "ma_jun",
             "framework_agreement": "zhao_min"}
THRESHOLDS = [("customer_contract", "1000000"), ("procurement_contract", "1000000"),
              ("framework_agreement", "3000000")]
CASES = [(process, amount, applies)
         for process, threshold in THRESHOLDS
         for amount, applies in ((str(Decimal(threshold) - Decimal("0.01")), False),
                                 (threshold + ".00", True),
                                 (str(Decimal(threshold) + Decimal("0.01")), True))]


def submit(lv: Lv, process: str, amount: str) -> str:
    actor = SUBMITTER[process]
    sets = [arg for pair in data_for(process, amount) for arg in ("--set", pair)]
    created = act(lv, actor, "contract", "new", "--process", process, "--customer", "Acme", *sets)
    assert created.exit_code == 0, created.output
    number = created.stdout.strip()
    fired = act(lv, actor, "contract", "fire", number, "submit")
    assert fired.exit_code == 0, fired.output
    return number


@pytest.mark.parametrize(("process", "amount", "cfo_applies"), CASES)
def test_cfo_level_from_threshold(lv: Lv, process: str, amount: str, cfo_applies: bool) -> None:
    deploy_all(lv)

    number = submit(lv, process, amount)

    started = next(row for row in history(lv, number) if row["kind"] == "approval")
    levels = started["details"]["levels"]
    assert levels[-1]["roles"] == ["cfo"]
    assert levels[-1]["applies"] is cfo_applies
    assert all(level["applies"] for level in levels[:-1])


@pytest.mark.parametrize(("amount", "votes"), [
    ("999999.99", ["chen_jie", "liu_yang"]),
    ("1000000.00", ["chen_jie", "liu_yang", "li_na"]),
    ("1000000.01", ["chen_jie", "liu_yang", "li_na"]),
])
def test_customer_contract_needs_cfo_from_one_million(lv: Lv, amount: str,
                                                      votes: list[str]) -> None:
    deploy_all(lv)
    number = submit(lv, "customer_contract", amount)

    for voter in votes[:-1]:
        assert act(lv, voter, "contract", "approve", number).exit_code == 0
        assert state_of(lv, number) == "approval"
    last = act(lv, votes[-1], "contract", "approve", number)

    assert last.exit_code == 0, last.output
    assert last.stdout.splitlines()[-1] == (
        f"{number}: start_execution approval -> execution (by system)")
    assert state_of(lv, number) == "execution"
    assert [row["actor"] for row in history(lv, number) if row["kind"] == "vote"] == votes


def test_procurement_countersign_then_cfo(lv: Lv) -> None:
    deploy_all(lv)
    number = submit(lv, "procurement_contract", "1500000.00")

    steps = [act(lv, voter, "contract", "approve", number)
             for voter in ("qian_lei", "sun_hua", "zhou_qing", "li_na")]

    assert [step.exit_code for step in steps] == [0, 0, 0, 0]
    assert steps[0].stdout.splitlines()[1].startswith(
        f"{number}: level 2 started; approvers legal: chen_jie, sun_hua; finance: liu_yang, "
        "zhou_qing; due 2026-03-06 00:00:00+0800")
    assert steps[2].stdout.splitlines()[1] == (
        f"{number}: level 3 started; approvers cfo: li_na; due 2026-03-05 00:00:00+0800.")
    assert state_of(lv, number) == "execution"


def test_approval_uses_the_clock(lv: Lv) -> None:
    deploy_all(lv)
    number = submit(lv, "customer_contract", "100.00")

    started = next(row for row in history(lv, number) if row["kind"] == "approval")

    assert started["effective_at"] == NOW.replace("T", " ").replace("+08:00", "+0800")
    assert started["details"]["due_at"] == "2026-03-05T02:00:00.000000Z"
