"""The channel file: which channels deliver notifications, read with the strict YAML loader.

The file is checked against schemas/channels.schema.json, then per channel type
(an smtp channel needs host and from, a file channel needs path). Passwords are
never read from the file, only from the environment variables it names.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

from engine import SCHEMAS_DIR
from engine.clock import parse_duration
from engine.definition.yaml_loader import LoadedDocument, load_yaml_file, validate_with_schema
from engine.errors import BadInputError, DefinitionError, Problem
from engine.i18n import _

CHANNELS_ENV = "LVYUE_CHANNELS"
DEFAULT_RETRY_FIRST = timedelta(minutes=1)
DEFAULT_RETRY_MAX = timedelta(hours=1)
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
DEFAULT_MESSAGE_ID_DOMAIN = "lvyue.invalid"
DEFAULT_TIMEOUT_SECONDS = 30

# Keys that only one channel type reads; a key of another type is a mistake worth naming.
TYPE_KEYS = {
    "file": {"path"},
    "log": set(),
    "smtp": {"host", "port", "security", "from", "username_env", "password_env", "ca_file",
             "message_id_domain", "timeout_seconds"},
}
COMMON_KEYS = {"type", "language"}
REQUIRED_KEYS = {"file": ("path",), "log": (), "smtp": ("host", "from")}
SECRET_KEYS = ("password", "username", "user", "secret", "token")


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str  # none, starttls, ssl
    sender: str
    username_env: str | None
    password_env: str | None
    ca_file: Path | None
    message_id_domain: str
    timeout_seconds: int


@dataclass(frozen=True)
class ChannelConfig:
    """One configured channel; `smtp` is set for smtp channels, `path` for file channels."""

    name: str
    type: str
    language: str | None
    path: Path | None = None
    smtp: SmtpSettings | None = None
    source: str = ""  # file:line of its definition, for messages


@dataclass(frozen=True)
class ChannelFile:
    path: Path
    channels: tuple[ChannelConfig, ...]
    retry_first: timedelta
    retry_max: timedelta

    def backoff(self, attempts: int) -> timedelta:
        """Delay before the next attempt after `attempts` failed ones (1, 2, 4 … times first)."""
        delay = self.retry_first * (2 ** max(attempts - 1, 0))
        return min(delay, self.retry_max)


@cache
def channels_schema() -> dict[str, Any]:
    with (SCHEMAS_DIR / "channels.schema.json").open(encoding="utf-8") as stream:
        schema: dict[str, Any] = json.load(stream)
    return schema


def resolve_channel_file(option: str | None) -> Path | None:
    """Return --channels, else LVYUE_CHANNELS, else None."""
    value = option or os.environ.get(CHANNELS_ENV)
    return Path(value) if value else None


def load_channel_file(path: str | Path) -> ChannelFile:
    """Load and check a channel file; raise DefinitionError listing every problem."""
    path = Path(path)
    if not path.is_file():
        raise BadInputError(
            _("Channel file {path} not found. Pass an existing file with --channels or "
              "{env}.").format(path=path, env=CHANNELS_ENV)
        )
    doc = load_yaml_file(path)
    problems = list(_secret_key_problems(doc, str(path)))
    problems += validate_with_schema(doc, channels_schema(), str(path))
    if problems:
        raise DefinitionError(problems)

    problems = [problem for name, spec in doc.data["channels"].items()
                for problem in _type_problems(doc, str(path), name, spec)]
    problems += list(_duration_problems(doc, str(path)))
    if problems:
        raise DefinitionError(problems)
    return _build(doc, path)


def _secret_key_problems(doc: LoadedDocument, name: str) -> Iterator[Problem]:
    channels = doc.data.get("channels") if isinstance(doc.data, dict) else None
    if not isinstance(channels, dict):
        return
    for channel, spec in channels.items():
        if not isinstance(spec, dict):
            continue
        for key in SECRET_KEYS:
            if key in spec:
                line, column = doc.locate(("channels", channel, key))
                yield Problem(name, line, column, _(
                    "channel '{channel}' stores '{key}' in the file. Credentials stay out of "
                    "channel files: put the value in an environment variable and name it with "
                    "{key_env}."
                ).format(channel=channel, key=key,
                         key_env="password_env" if key in ("password", "secret", "token")
                         else "username_env"))


def _type_problems(doc: LoadedDocument, name: str, channel: str,
                   spec: Mapping[str, Any]) -> Iterator[Problem]:
    kind = spec["type"]
    for key in spec:
        if key not in COMMON_KEYS and key not in TYPE_KEYS[kind]:
            line, column = doc.locate(("channels", channel, key))
            yield Problem(name, line, column, _(
                "key '{key}' does not apply to {type} channel '{channel}'. Keys of a {type} "
                "channel: {keys}."
            ).format(key=key, type=kind, channel=channel,
                     keys=", ".join(sorted(COMMON_KEYS | TYPE_KEYS[kind]))))
    for key in REQUIRED_KEYS[kind]:
        if key not in spec:
            line, column = doc.locate(("channels", channel))
            yield Problem(name, line, column, _(
                "{type} channel '{channel}' needs '{key}'. Add it."
            ).format(type=kind, channel=channel, key=key))
    if ("username_env" in spec) != ("password_env" in spec):
        line, column = doc.locate(("channels", channel))
        yield Problem(name, line, column, _(
            "smtp channel '{channel}' names only one of username_env and password_env. Name "
            "both to log in, or neither to send without logging in."
        ).format(channel=channel))


def _duration_problems(doc: LoadedDocument, name: str) -> Iterator[Problem]:
    retry = doc.data.get("retry", {})
    for key in ("first", "max"):
        if key in retry and parse_duration(retry[key]) <= timedelta(0):
            line, column = doc.locate_value(("retry", key))
            yield Problem(name, line, column, _(
                "retry.{key} is {value}, but must be longer than zero, for example PT1M."
            ).format(key=key, value=retry[key]))


def _build(doc: LoadedDocument, path: Path) -> ChannelFile:
    retry = doc.data.get("retry", {})
    first = parse_duration(retry["first"]) if "first" in retry else DEFAULT_RETRY_FIRST
    longest = parse_duration(retry["max"]) if "max" in retry else max(DEFAULT_RETRY_MAX, first)
    channels = tuple(
        _channel(doc, path, name, spec) for name, spec in doc.data["channels"].items()
    )
    return ChannelFile(path, channels, first, max(longest, first))


def _channel(doc: LoadedDocument, path: Path, name: str, spec: Mapping[str, Any]) -> ChannelConfig:
    line, _column = doc.locate(("channels", name))
    source = f"{path}:{line}"
    kind = spec["type"]
    language = spec.get("language")
    if kind == "file":
        return ChannelConfig(name, kind, language, path=_relative(path, spec["path"]),
                             source=source)
    if kind == "log":
        return ChannelConfig(name, kind, language, source=source)

    security = spec.get("security", "starttls")
    smtp = SmtpSettings(
        host=spec["host"],
        port=spec.get("port", DEFAULT_PORTS[security]),
        security=security,
        sender=spec["from"],
        username_env=spec.get("username_env"),
        password_env=spec.get("password_env"),
        ca_file=_relative(path, spec["ca_file"]) if "ca_file" in spec else None,
        message_id_domain=spec.get("message_id_domain", DEFAULT_MESSAGE_ID_DOMAIN),
        timeout_seconds=spec.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS),
    )
    return ChannelConfig(name, kind, language, smtp=smtp, source=source)


def _relative(base_file: Path, value: str) -> Path:
    candidate = Path(value).expanduser()
    return candidate if candidate.is_absolute() else base_file.parent / candidate
