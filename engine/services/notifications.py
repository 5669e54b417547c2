"""Delivering the outbox: claim a due message, send it through every channel, record the result.

Delivery is at least once. A message leaves the queue only when every
configured channel has delivered it. Each channel's success is stored, so a
retry repeats only the channels that failed. A failure counts the attempt,
keeps the error and schedules the next attempt with a growing delay. No
database transaction stays open while a channel talks to a server.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from engine import jsonutil
from engine.notify.channels import Channel, open_channels
from engine.notify.config import ChannelFile
from engine.notify.message import DeliveryError, OutgoingMessage, Recipient
from engine.services import shutdown
from engine.store import outbox_repo, repo
from engine.store.db import Store
from engine.store.models import OutboxMessage

log = logging.getLogger(__name__)

# How long a claimed message stays hidden from other workers. It must exceed the
# time one message can take through every channel (SMTP timeouts included).
CLAIM_LEASE = timedelta(minutes=10)


@dataclass
class DeliveryReport:
    """Counts and errors of one delivery run."""

    delivered: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class _Claimed:
    message: OutgoingMessage
    done_channels: frozenset[str]


def deliver_due(store: Store, channel_file: ChannelFile, now: datetime,
                environ: dict[str, str] | None = None) -> DeliveryReport:
    """Deliver every message due at `now`, one transaction to claim and one to record each."""
    report = DeliveryReport()
    channels = open_channels(channel_file.channels, environ)
    try:
        while not shutdown.stop_requested():
            with store.write() as session:
                claimed = _claim(session, now)
            if claimed is None:
                break
            successes, failures = _send(channels, claimed)
            with store.write() as session:
                _record(session, channel_file, claimed, successes, failures, now)
            _count(report, claimed.message, failures)
    finally:
        for channel in channels:
            channel.close()
    return report


def _claim(session: Session, now: datetime) -> _Claimed | None:
    row = outbox_repo.claim_next(session, now, now + CLAIM_LEASE)
    if row is None:
        return None
    message = OutgoingMessage(
        outbox_id=row.id,
        contract_number=outbox_repo.contract_number(session, row.contract_id),
        role=row.recipient_role,
        recipients=_recipients(session, row),
        subject=jsonutil.loads(row.subject_json),
        body=jsonutil.loads(row.body_json),
        created_at=row.created_at,
        attempt=row.attempts + 1,
    )
    return _Claimed(message, frozenset(outbox_repo.delivered_channels(session, row.id)))


def _recipients(session: Session, row: OutboxMessage) -> tuple[Recipient, ...]:
    """Resolve the explicit recipient (an email address or a person id), else the role's holders."""
    if row.recipient:
        if "@" in row.recipient:
            return (Recipient(None, None, row.recipient),)
        person = repo.person(session, row.recipient)
        if person is None:
            return (Recipient(row.recipient, None, None),)
        return (Recipient(person.id, person.name, person.email),)
    if row.recipient_role:
        return tuple(Recipient(p.id, p.name, p.email)
                     for p in repo.people_with_role(session, row.recipient_role))
    return ()


def _send(channels: list[Channel],
          claimed: _Claimed) -> tuple[dict[str, str], dict[str, str]]:
    successes: dict[str, str] = {}
    failures: dict[str, str] = {}
    for channel in channels:
        if channel.name in claimed.done_channels:
            continue
        try:
            successes[channel.name] = channel.deliver(claimed.message)
        except DeliveryError as exc:
            failures[channel.name] = str(exc)
            log.warning("delivery of outbox %d through %s failed (attempt %d): %s",
                        claimed.message.outbox_id, channel.name, claimed.message.attempt, exc,
                        extra={"outbox": claimed.message.outbox_id, "channel": channel.name})
    return successes, failures


def _record(session: Session, channel_file: ChannelFile, claimed: _Claimed,
            successes: dict[str, str], failures: dict[str, str], now: datetime) -> None:
    message = claimed.message
    for name, detail in successes.items():
        outbox_repo.add_delivery(session, message.outbox_id, name, now, detail)
    if failures:
        error = "; ".join(f"{name}: {text}" for name, text in failures.items())
        retry_at = now + channel_file.backoff(message.attempt)
        outbox_repo.record_attempt(session, message.outbox_id, sent=False, now=now,
                                   last_error=error[:4000], next_attempt_at=retry_at)
        log.info("outbox %d will be retried at %s", message.outbox_id, retry_at.isoformat())
    else:
        outbox_repo.record_attempt(session, message.outbox_id, sent=True, now=now,
                                   last_error=None, next_attempt_at=None)
        log.info("outbox %d delivered through %s", message.outbox_id,
                 ", ".join(successes) or "-", extra={"outbox": message.outbox_id})


def _count(report: DeliveryReport, message: OutgoingMessage, failures: dict[str, str]) -> None:
    if failures:
        report.failed += 1
        report.errors += [f"#{message.outbox_id} {name}: {text}"
                          for name, text in failures.items()]
    else:
        report.delivered += 1
