"""Queries and writes for delivering the outbox; the SQL of notification delivery."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from engine.store.models import Contract, OutboxMessage
from engine.store.plan_models import OutboxDelivery

PENDING = "pending"
SENT = "sent"


def claim_next(session: Session, now: datetime, lease_until: datetime) -> OutboxMessage | None:
    """Take the oldest pending message due at `now` and hide it from others until `lease_until`.

    On PostgreSQL the row is read with FOR UPDATE SKIP LOCKED, so concurrent
    workers each take a different message. SQLite serializes writers instead.
    If the claimer dies, the message becomes due again when the lease ends.
    """
    message = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.status == PENDING,
               or_(OutboxMessage.next_attempt_at.is_(None),
                   OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.next_attempt_at, OutboxMessage.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    ).first()
    if message is None:
        return None
    message.next_attempt_at = lease_until
    session.flush()
    return message


def contract_number(session: Session, contract_id: int | None) -> str | None:
    if contract_id is None:
        return None
    return session.scalar(select(Contract.number).where(Contract.id == contract_id))


def delivered_channels(session: Session, outbox_id: int) -> set[str]:
    rows = session.scalars(select(OutboxDelivery.channel)
                           .where(OutboxDelivery.outbox_id == outbox_id))
    return set(rows)


def add_delivery(session: Session, outbox_id: int, channel: str, delivered_at: datetime,
                 detail: str | None) -> None:
    session.add(OutboxDelivery(outbox_id=outbox_id, channel=channel,
                               delivered_at=delivered_at, detail=detail))


def record_attempt(session: Session, outbox_id: int, *, sent: bool, now: datetime,
                   last_error: str | None, next_attempt_at: datetime | None) -> None:
    """Count one attempt; a sent message leaves the queue, a failed one waits for its retry."""
    values: dict[str, object] = {"attempts": OutboxMessage.attempts + 1}
    if sent:
        values.update(status=SENT, sent_at=now, next_attempt_at=None)
    else:
        values.update(last_error=last_error, next_attempt_at=next_attempt_at)
    session.execute(update(OutboxMessage).where(OutboxMessage.id == outbox_id).values(**values)
                    .execution_options(synchronize_session=False))


def list_messages(session: Session, pending_only: bool,
                  limit: int | None = None) -> list[tuple[OutboxMessage, str | None]]:
    query = (select(OutboxMessage, Contract.number)
             .join(Contract, OutboxMessage.contract_id == Contract.id, isouter=True))
    if pending_only:
        query = query.where(OutboxMessage.status == PENDING)
    query = query.order_by(OutboxMessage.id)
    if limit is not None:
        query = query.limit(limit)
    return [(message, number) for message, number in session.execute(query)]


def deliveries_of(session: Session, outbox_ids: list[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = {}
    if not outbox_ids:
        return found
    rows = session.execute(select(OutboxDelivery.outbox_id, OutboxDelivery.channel)
                           .where(OutboxDelivery.outbox_id.in_(outbox_ids))
                           .order_by(OutboxDelivery.id))
    for outbox_id, channel in rows:
        found.setdefault(outbox_id, []).append(channel)
    return found
