"""Obligation status at an instant: overdue from the start of the next business day,
days overdue, partial and back-dated settlements, next check instants."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from engine.runtime.obligations import (
    ObligationStatus,
    Settlement,
    apply_settlements,
    next_check_at,
)

DUE = date(2025, 4, 2)
# Start of 2025-04-03 in Asia/Shanghai (UTC+8), as a naive UTC time.
START_OF_NEXT_DAY = datetime(2025, 4, 2, 16, 0)


def status(**changes: Any) -> ObligationStatus:
    return replace(ObligationStatus("payment", "payment", Decimal("100.00"), DUE), **changes)


def test_overdue_from_start_of_next_business_day() -> None:
    assert status().overdue_from() == START_OF_NEXT_DAY


def test_overdue_from_follows_timezone_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LVYUE_TIMEZONE", "UTC")
    assert status().overdue_from() == datetime(2025, 4, 3, 0, 0)


def test_overdue_mark_needed_only_from_next_day() -> None:
    open_obligation = status()
    assert not open_obligation.needs_overdue_mark(START_OF_NEXT_DAY - timedelta(microseconds=1))
    assert open_obligation.needs_overdue_mark(START_OF_NEXT_DAY)


def test_not_overdue_until_marked() -> None:
    later = START_OF_NEXT_DAY + timedelta(days=5)
    assert not status().is_overdue(later)
    assert status().days_overdue(later) == 0


def test_days_overdue_is_business_date_minus_due() -> None:
    marked = status(overdue_at=START_OF_NEXT_DAY)
    assert marked.days_overdue(START_OF_NEXT_DAY) == 1
    assert marked.days_overdue(START_OF_NEXT_DAY + timedelta(days=30, hours=23)) == 31


def test_settled_obligation_is_not_overdue() -> None:
    settled = status(overdue_at=START_OF_NEXT_DAY, settled_amount=Decimal("100.00"))
    later = START_OF_NEXT_DAY + timedelta(days=9)
    assert settled.settled
    assert not settled.is_overdue(later)
    assert settled.days_overdue(later) == 0
    assert settled.view(later)["outstanding"] == "0.00"


def test_partial_settlements_add_up() -> None:
    first = datetime(2025, 4, 1, 2, 0)
    second = datetime(2025, 4, 10, 2, 0)

    partly = apply_settlements(status(), [Settlement(first, Decimal("40.00"))])
    fully = apply_settlements(status(), [Settlement(first, Decimal("40.00")),
                                         Settlement(second, Decimal("60.00"))])

    assert partly.view(second)["outstanding"] == "60.00"
    assert partly.settled_at is None
    assert fully.settled
    assert fully.settled_at == second
    assert fully.days_late(second) == 8


def test_back_dated_settlement_reorders() -> None:
    late = Settlement(datetime(2025, 4, 20, 2, 0), Decimal("100.00"), order=1)
    back_dated = Settlement(datetime(2025, 4, 1, 2, 0), Decimal("100.00"), order=2)

    recomputed = apply_settlements(status(overdue_at=START_OF_NEXT_DAY), [late, back_dated])

    assert recomputed.settled_at == back_dated.effective_at
    assert recomputed.settled_amount == Decimal("200.00")
    assert recomputed.days_late(datetime(2025, 5, 1)) == 0
    assert recomputed.overdue_at == START_OF_NEXT_DAY  # the mark a tick made stays


def test_view_has_every_guard_field() -> None:
    view = status(overdue_at=START_OF_NEXT_DAY).view(START_OF_NEXT_DAY + timedelta(days=2))
    assert view == {"due": "2025-04-02", "amount": "100.00", "settled_amount": "0",
                    "outstanding": "100.00", "settled": False, "overdue": True,
                    "days_overdue": 3}


def test_next_check_at() -> None:
    assert next_check_at(status()) == START_OF_NEXT_DAY
    assert next_check_at(status(overdue_at=START_OF_NEXT_DAY)) == START_OF_NEXT_DAY
    assert next_check_at(status(settled_amount=Decimal(100))) is None


def test_days_late_of_open_obligation_counts_to_now() -> None:
    assert status().days_late(START_OF_NEXT_DAY + timedelta(days=3)) == 4
    assert status().days_late(START_OF_NEXT_DAY - timedelta(days=1)) == 0
