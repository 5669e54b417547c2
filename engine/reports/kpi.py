"""Fulfilment KPIs over contracts with obligations: settlement, punctuality, breaches.

Definitions, per contract (a contract with several obligations counts once):
- settled: every obligation is settled;
- days late: the most days any obligation was settled after its due date, or is
  still unsettled after it at the report instant;
- on time: settled with no day late;
- on_time_rate: on-time contracts divided by the contracts that are settled or
  past a due date, so contracts not yet due do not count; None when there are none;
- ever_overdue: a tick marked an obligation overdue, or it was settled late;
- breached: the history shows a move into the state named `breach`;
- mean_days_late: the mean days late of the contracts with at least one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from engine.clock import business_date
from engine.runtime.obligations import ObligationStatus
from engine.services.obligations import status_of
from engine.store import report_repo

BREACH_STATE = "breach"


@dataclass(frozen=True)
class ContractFacts:
    """Facts about one contract at the report instant, from which the KPIs are counted."""

    customer: str
    settled: bool
    past_due: bool
    days_late: int
    ever_overdue: bool
    breached: bool
    outstanding: Decimal


@dataclass(frozen=True)
class Kpi:
    """The KPIs of one group of contracts (all of them when `group` is None)."""

    group: str | None
    contracts: int
    settled: int
    on_time: int
    late: int
    on_time_rate: float | None
    ever_overdue: int
    breached: int
    mean_days_late: float | None
    outstanding: Decimal

    def as_dict(self) -> dict[str, object]:
        return {
            "contracts": self.contracts, "settled": self.settled, "on_time": self.on_time,
            "late": self.late, "on_time_rate": self.on_time_rate,
            "ever_overdue": self.ever_overdue, "breached": self.breached,
            "mean_days_late": self.mean_days_late, "outstanding": str(self.outstanding),
        }


def contract_facts(session: Session, now: datetime,
                   process_id: str | None = None) -> list[ContractFacts]:
    """Read the obligations of every contract and sum them up per contract at `now`."""
    breached = report_repo.contracts_ever_in(session, BREACH_STATE)
    today = business_date(now)
    facts: list[ContractFacts] = []
    current: tuple[int, str] | None = None
    statuses: list[ObligationStatus] = []
    for contract, row in report_repo.obligations_with_contracts(session, process_id):
        if current is not None and current[0] != contract.id:
            facts.append(_facts(current[1], current[0] in breached, statuses, now, today))
            statuses = []
        current = (contract.id, contract.customer)
        statuses.append(status_of(row))
    if current is not None:
        facts.append(_facts(current[1], current[0] in breached, statuses, now, today))
    return facts


def _facts(customer: str, breached: bool, statuses: list[ObligationStatus], now: datetime,
           today: date) -> ContractFacts:
    days_late = max(status.days_late(now) for status in statuses)
    return ContractFacts(
        customer=customer,
        settled=all(status.settled for status in statuses),
        past_due=any(not status.settled and today > status.due for status in statuses),
        days_late=days_late,
        ever_overdue=any(status.overdue_at is not None for status in statuses) or days_late > 0,
        breached=breached,
        outstanding=sum((status.outstanding for status in statuses), Decimal(0)),
    )


def summarize(facts: Iterable[ContractFacts], group: str | None = None) -> Kpi:
    items = list(facts)
    settled = sum(1 for item in items if item.settled)
    on_time = sum(1 for item in items if item.settled and item.days_late == 0)
    late = [item.days_late for item in items if item.days_late > 0]
    decided = sum(1 for item in items if item.settled or item.past_due)
    return Kpi(
        group=group, contracts=len(items), settled=settled, on_time=on_time, late=len(late),
        on_time_rate=round(on_time / decided, 4) if decided else None,
        ever_overdue=sum(1 for item in items if item.ever_overdue),
        breached=sum(1 for item in items if item.breached),
        mean_days_late=round(sum(late) / len(late), 2) if late else None,
        outstanding=sum((item.outstanding for item in items), Decimal(0)),
    )


def kpi_report(session: Session, now: datetime, by: str | None = None,
               process_id: str | None = None) -> list[Kpi]:
    """Compute one Kpi for all contracts, or one per customer (sorted) when `by` is customer."""
    facts = contract_facts(session, now, process_id)
    if by is None:
        return [summarize(facts)]
    groups: dict[str, list[ContractFacts]] = {}
    for item in facts:
        groups.setdefault(item.customer, []).append(item)
    return [summarize(groups[name], name) for name in sorted(groups)]
