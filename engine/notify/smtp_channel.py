"""Email delivery over SMTP: plain, STARTTLS, or TLS from the start (SSL, port 465).

One connection serves every message of a run. When connecting fails, the rest
of the run's messages fail at once with the same error, so they do not each
wait for their own timeout. A later run retries them like any failure.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from collections.abc import Mapping

from engine.errors import BadInputError
from engine.i18n import _
from engine.notify.config import ChannelConfig, SmtpSettings
from engine.notify.message import DeliveryError, OutgoingMessage, compose_email

log = logging.getLogger(__name__)


class SmtpChannel:
    """Sends each message as one email to all of its recipients."""

    def __init__(self, config: ChannelConfig, environ: Mapping[str, str]) -> None:
        assert config.smtp is not None
        self.name = config.name
        self.language = config.language
        self.settings: SmtpSettings = config.smtp
        self._credentials = _credentials(config, environ)
        ca_file = self.settings.ca_file
        if ca_file is not None and not ca_file.is_file():
            raise BadInputError(_(
                "{source}: ca_file {path} of channel '{channel}' not found. Name an existing "
                "PEM file of trusted certificates."
            ).format(source=config.source, path=ca_file, channel=config.name))
        self._client: smtplib.SMTP | None = None
        self._unreachable: str | None = None

    def deliver(self, message: OutgoingMessage) -> str:
        addresses = [person.email for person in message.recipients if person.email]
        if not addresses:
            raise DeliveryError(_(
                "no recipient has an email address (role {role}); add email addresses to the "
                "org file and apply it").format(role=message.role or "-"))
        email = compose_email(message, self.settings.sender, self.settings.message_id_domain,
                              self.language)
        client = self._connect()
        try:
            refused = client.send_message(email, self.settings.sender, addresses)
        except (smtplib.SMTPException, OSError) as exc:
            self._drop_connection()
            raise DeliveryError(_("SMTP server {host}:{port} did not accept the message: "
                                  "{error}").format(host=self.settings.host,
                                                    port=self.settings.port,
                                                    error=_describe(exc))) from exc
        if refused:
            log.warning("SMTP refused some recipients of outbox %d: %s", message.outbox_id,
                        refused)
            return _("accepted for {count} of {total} recipients; refused: {refused}").format(
                count=len(addresses) - len(refused), total=len(addresses),
                refused=", ".join(sorted(refused)))
        return _("accepted for {count} recipients").format(count=len(addresses))

    def close(self) -> None:
        if self._client is not None:
            try:
                self._client.quit()
            except (smtplib.SMTPException, OSError):
                self._client.close()
            self._client = None

    def _connect(self) -> smtplib.SMTP:
        if self._client is not None:
            return self._client
        if self._unreachable is not None:
            raise DeliveryError(self._unreachable)
        settings = self.settings
        try:
            self._client = _open(settings)
            if self._credentials is not None:
                self._client.login(*self._credentials)
        except (smtplib.SMTPException, OSError) as exc:
            self._drop_connection()
            self._unreachable = _("cannot connect to SMTP server {host}:{port} ({security}): "
                                  "{error}").format(host=settings.host, port=settings.port,
                                                    security=settings.security,
                                                    error=_describe(exc))
            log.warning("%s", self._unreachable)
            raise DeliveryError(self._unreachable) from exc
        return self._client

    def _drop_connection(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            finally:
                self._client = None


def _open(settings: SmtpSettings) -> smtplib.SMTP:
    context = _tls_context(settings)
    if settings.security == "ssl":
        return smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout_seconds,
                                context=context)
    client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
    try:
        if settings.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
    except BaseException:
        client.close()
        raise
    return client


def _tls_context(settings: SmtpSettings) -> ssl.SSLContext:
    """Verify the server's certificate: against `ca_file` when given, else the system store."""
    if settings.ca_file is not None:
        return ssl.create_default_context(cafile=str(settings.ca_file))
    return ssl.create_default_context()


def _credentials(config: ChannelConfig, environ: Mapping[str, str]) -> tuple[str, str] | None:
    settings = config.smtp
    assert settings is not None
    if settings.username_env is None or settings.password_env is None:
        return None
    values = []
    for variable in (settings.username_env, settings.password_env):
        value = environ.get(variable)
        if not value:
            raise BadInputError(_(
                "{source}: channel '{channel}' reads its SMTP credentials from environment "
                "variable {variable}, which is not set. Set it before starting Lvyue."
            ).format(source=config.source, channel=config.name, variable=variable))
        values.append(value)
    return values[0], values[1]


def _describe(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode("utf-8", "replace") if isinstance(
            exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {text}"
    return f"{type(exc).__name__}: {exc}"
