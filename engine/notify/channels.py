"""Delivery channels: a JSON-lines file, the Lvyue log, and SMTP (in smtp_channel.py).

A channel's `deliver` returns a short detail on success and raises DeliveryError
on failure; the caller records either and never drops the message.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from typing import Protocol

from engine.clock import iso_utc, utcnow
from engine.errors import BadInputError
from engine.i18n import _
from engine.notify.config import ChannelConfig
from engine.notify.message import DeliveryError, OutgoingMessage

log = logging.getLogger(__name__)


class Channel(Protocol):
    name: str

    def deliver(self, message: OutgoingMessage) -> str: ...

    def close(self) -> None: ...


class FileChannel:
    """Appends one JSON object per delivered message to a file and syncs it to disk."""

    def __init__(self, config: ChannelConfig) -> None:
        assert config.path is not None
        self.name = config.name
        self.path = config.path
        self.language = config.language

    def deliver(self, message: OutgoingMessage) -> str:
        record = {
            "outbox_id": message.outbox_id,
            "attempt": message.attempt,
            "contract": message.contract_number,
            "role": message.role,
            "recipients": [{"person": r.person_id, "name": r.name, "email": r.email}
                           for r in message.recipients],
            "subject": message.subject_text(self.language),
            "body": message.body_text(self.language),
            "queued_at": iso_utc(message.created_at),
            "delivered_at": iso_utc(utcnow()),
        }
        line = json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n"
        try:
            with self.path.open("a", encoding="utf-8") as stream:
                stream.write(line)
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as exc:
            raise DeliveryError(_("cannot append to {path}: {error}").format(
                path=self.path, error=exc.strerror or exc)) from exc
        return str(self.path)

    def close(self) -> None:
        pass


class LogChannel:
    """Writes each message to the `lvyue.notifications` logger at INFO level."""

    def __init__(self, config: ChannelConfig) -> None:
        self.name = config.name
        self.language = config.language
        self._log = logging.getLogger("lvyue.notifications")

    def deliver(self, message: OutgoingMessage) -> str:
        self._log.info("notification %d to %s: %s", message.outbox_id,
                       ", ".join(r.person_id or r.email or "?" for r in message.recipients)
                       or message.role or "-", message.subject_text(self.language),
                       extra={"contract": message.contract_number, "outbox": message.outbox_id})
        return "log"

    def close(self) -> None:
        pass


def open_channels(configs: tuple[ChannelConfig, ...],
                  environ: Mapping[str, str] | None = None) -> list[Channel]:
    """Create a channel object per configuration; SMTP credentials are read here.

    Raises BadInputError when an environment variable named for credentials is unset.
    """
    from engine.notify.smtp_channel import SmtpChannel

    environ = os.environ if environ is None else environ
    channels: list[Channel] = []
    for config in configs:
        if config.type == "file":
            channels.append(FileChannel(config))
        elif config.type == "log":
            channels.append(LogChannel(config))
        elif config.type == "smtp":
            channels.append(SmtpChannel(config, environ))
        else:
            raise BadInputError(_("{source}: unknown channel type {type!r}.").format(
                source=config.source, type=config.type))
    return channels
