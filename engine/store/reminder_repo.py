"""Queries and writes for obligation reminders."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select, true, tuple_
from sqlalchemy.orm import Session

from engine.store.models import Contract, Obligation
from engine.store.plan_models import ObligationReminder

ReminderKey = tuple[int, str, date]  # (contract id, obligation name, due date)


@dataclass(frozen=True)
class ReminderScope:
    """The obligations of one definition that a reminder tick looks at."""

    obligations: tuple[str, ...]  # names of obligations with reminders
    days_before: int  # the earliest reminder, in whole days before the due date
    days_after: int  # the latest, in whole days after it
    final_states: tuple[str, ...]


def candidates(session: Session, scope: dict[int, ReminderScope], today: date,
               after_id: int, limit: int) -> list[tuple[Contract, Obligation]]:
    """Return unsettled obligations whose reminder window contains `today`, by obligation id."""
    if not scope:
        return []
    windows = or_(*(and_(
        Contract.definition_id == definition_id,
        Obligation.name.in_(part.obligations),
        Obligation.due_on <= today + timedelta(days=part.days_before),
        Obligation.due_on >= today - timedelta(days=part.days_after),
        Contract.state.notin_(part.final_states) if part.final_states else true(),
    ) for definition_id, part in scope.items()))
    query = (select(Contract, Obligation)
             .join(Obligation, Obligation.contract_id == Contract.id)
             .where(windows, Obligation.settled_at.is_(None), Contract.voided.is_(False),
                    Obligation.id > after_id)
             .order_by(Obligation.id).limit(limit))
    return [(contract, obligation) for contract, obligation in session.execute(query)]


def done_offsets(session: Session, keys: Sequence[ReminderKey]) -> dict[ReminderKey, set[str]]:
    """Return the offsets already sent or skipped, per (contract, obligation, due date)."""
    found: dict[ReminderKey, set[str]] = {key: set() for key in keys}
    if not keys:
        return found
    rows = session.execute(
        select(ObligationReminder.contract_id, ObligationReminder.obligation,
               ObligationReminder.due_on, ObligationReminder.remind_offset)
        .where(tuple_(ObligationReminder.contract_id, ObligationReminder.obligation,
                      ObligationReminder.due_on).in_(list(keys))))
    for contract_id, obligation, due_on, offset in rows:
        found.setdefault((contract_id, obligation, due_on), set()).add(offset)
    return found


def add_reminder(session: Session, key: ReminderKey, offset: str, status: str,
                 decided_at: datetime) -> None:
    """Insert one reminder row and flush, so a repeat fails on the unique key at once."""
    contract_id, obligation, due_on = key
    session.add(ObligationReminder(contract_id=contract_id, obligation=obligation,
                                   due_on=due_on, remind_offset=offset, status=status,
                                   decided_at=decided_at))
    session.flush()
