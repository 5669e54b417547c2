"""A local SMTP server for tests (aiosmtpd on 127.0.0.1) and a self-signed certificate."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"
USER = "mailer"
PASSWORD = "s3cret-for-tests"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass
class Inbox:
    """Records every message the server accepted; `reject` decides which DATA gets a 451."""

    messages: list[Message] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    reject: Callable[[Message], bool] = lambda _message: False
    logins: list[str] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content)
        if self.reject(message):
            self.refused.append(str(message["Message-ID"]))
            return "451 4.3.0 Mailbox busy, try again later"
        message["X-Test-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted"

    def message_ids(self) -> list[str]:
        return [str(message["Message-ID"]) for message in self.messages]

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        if isinstance(auth_data, LoginPassword):
            ok = auth_data.login == USER.encode() and auth_data.password == PASSWORD.encode()
            if ok:
                self.logins.append(auth_data.login.decode())
            return AuthResult(success=ok)
        return AuthResult(success=False)


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(folder: Path) -> Certificate:
    """Create a self-signed certificate for 127.0.0.1 with the openssl command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is needed to make a test certificate")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
                    "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True)
    return Certificate(cert, key)


class SmtpServer:
    """Starts and stops an aiosmtpd server on one fixed loopback port."""

    def __init__(self, inbox: Inbox, port: int, **options: Any) -> None:
        self.inbox = inbox
        self.port = port
        self.options = options
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname=HOST, port=self.port, **self.options)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None
