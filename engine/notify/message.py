"""A notification ready for delivery, and its rendering as text and as an email."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

from engine.i18n import current_language
from engine.labels import N_, pick, translate


class DeliveryError(Exception):
    """A channel failed to deliver one message; the text is recorded as the last error."""


@dataclass(frozen=True)
class Recipient:
    """Someone a message goes to: a person from the org file, or an explicit address."""

    person_id: str | None
    name: str | None
    email: str | None


@dataclass(frozen=True)
class OutgoingMessage:
    """One outbox row with its recipients resolved."""

    outbox_id: int
    contract_number: str | None
    role: str | None
    recipients: tuple[Recipient, ...]
    subject: Mapping[str, str]
    body: Mapping[str, str]
    created_at: datetime  # naive UTC
    attempt: int  # 1 for the first attempt

    def subject_text(self, language: str | None) -> str:
        return pick(self.subject, language or current_language(), f"#{self.outbox_id}")

    def body_text(self, language: str | None) -> str:
        """Return the body followed by a footer naming the contract, role and outbox id."""
        language = language or current_language()
        lines = []
        body = pick(self.body, language)
        if body:
            lines += [body, ""]
        if self.contract_number:
            lines.append(translate(N_("Contract: {number}"), language).format(
                number=self.contract_number))
        if self.role:
            lines.append(translate(N_("Sent to role: {role}"), language).format(role=self.role))
        lines.append(translate(N_("Lvyue notification {id}"), language).format(
            id=self.outbox_id))
        return "\n".join(lines) + "\n"


def message_id(outbox_id: int, domain: str) -> str:
    """Return the Message-ID of an outbox message, the same on every retry so receivers spot repeats."""
    return f"<outbox-{outbox_id}@{domain}>"


def compose_email(message: OutgoingMessage, sender: str, domain: str,
                  language: str | None) -> EmailMessage:
    """Build the email for `message`; the Date header is when the message was queued."""
    email = EmailMessage()
    email["Message-ID"] = message_id(message.outbox_id, domain)
    email["Date"] = format_datetime(message.created_at.replace(tzinfo=UTC))
    email["From"] = sender
    email["To"] = ", ".join(formataddr((person.name or "", person.email or ""))
                            for person in message.recipients if person.email)
    email["Subject"] = message.subject_text(language)
    email["X-Lvyue-Outbox-Id"] = str(message.outbox_id)
    if message.contract_number:
        email["X-Lvyue-Contract"] = message.contract_number
    email.set_content(message.body_text(language))
    return email
