"""`lvyue notify send` against a real SMTP server on 127.0.0.1, and the file channel."""

from __future__ import annotations

import json
import multiprocessing as mp
from collections import Counter
from datetime import datetime
from pathlib import Path

import pytest

from engine import jsonutil
from engine.store import repo
from engine.store.db import open_store
from tests.conftest import ORG_FILE, Lv, make_lv
from tests.smtp_server import HOST, PASSWORD, USER, Inbox, SmtpServer, free_port, make_certificate

T0 = "2026-03-02T09:00:00+08:00"
T0_UTC = datetime(2026, 3, 2, 1, 0, 0)
FINANCE = {"liu.yang@example.com", "zhou.qing@example.com"}


def queue(db: str, count: int, role: str | None = "finance",
          recipient: str | None = None) -> list[int]:
    """Put `count` pending messages into the outbox, as moves and plans do."""
    store = open_store(db, create=True)
    try:
        with store.write() as session:
            rows = [repo.add_outbox(
                session, contract_id=None, recipient_role=role, recipient=recipient,
                subject_json=jsonutil.dumps({"en": f"Reminder {n}", "zh-CN": f"提醒 {n}"}),
                body_json=jsonutil.dumps({"en": "Please check.", "zh-CN": "请查看。"}),
                created_at=T0_UTC, status="pending", attempts=0, next_attempt_at=T0_UTC,
            ) for n in range(count)]
            session.flush()
            return [row.id for row in rows]
    finally:
        store.dispose()


def smtp_channels(tmp_path: Path, port: int, **extra: str) -> str:
    lines = ["channels:", "  mail:", "    type: smtp", f"    host: {HOST}", f"    port: {port}",
             "    from: lvyue@test.example", "    message_id_domain: test.example"]
    lines += [f"    {key}: {value}" for key, value in extra.items()]
    path = tmp_path / "channels.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)


def listed(lv: Lv) -> dict[int, dict[str, object]]:
    result = lv("notify", "list", "--format", "json")
    assert result.exit_code == 0, result.output
    return {row["id"]: row for row in json.loads(result.stdout)}


@pytest.fixture
def org_lv(lv: Lv) -> Lv:
    assert lv("org", "apply", str(ORG_FILE)).exit_code == 0
    return lv


def test_plain_smtp_delivers_with_stable_ids(org_lv: Lv, sqlite_db: str, tmp_path: Path) -> None:
    ids = queue(sqlite_db, 3)
    inbox, port = Inbox(), free_port()
    server = SmtpServer(inbox, port)
    server.start()
    try:
        result = org_lv("--now", T0, "notify", "send", "--channels",
                        smtp_channels(tmp_path, port, security="none"))
    finally:
        server.stop()

    assert result.exit_code == 0, result.output
    assert result.stdout == "Notifications delivered: 3; failed and kept for a retry: 0.\n"
    assert inbox.message_ids() == [f"<outbox-{n}@test.example>" for n in ids]
    first = inbox.messages[0]
    assert set(first["X-Test-Envelope-To"].split(", ")) == FINANCE
    assert first["Subject"] == "Reminder 0"
    assert first["X-Lvyue-Outbox-Id"] == str(ids[0])
    assert "Lvyue notification" in first.get_payload()
    rows = listed(org_lv)
    assert [rows[n]["status"] for n in ids] == ["sent"] * 3
    assert [rows[n]["attempts"] for n in ids] == [1] * 3


def test_server_down_then_up_delivers_all(org_lv: Lv, sqlite_db: str, tmp_path: Path) -> None:
    ids = queue(sqlite_db, 4)
    inbox, port = Inbox(), free_port()
    channels = smtp_channels(tmp_path, port, security="none")

    down = org_lv("--now", T0, "notify", "send", "--channels", channels)
    again = org_lv("--now", T0, "notify", "send", "--channels", channels)
    after_down = listed(org_lv)
    server = SmtpServer(inbox, port)
    server.start()
    try:
        up = org_lv("--now", "2026-03-02T09:02:00+08:00", "notify", "send",
                    "--channels", channels)
    finally:
        server.stop()

    assert down.stdout == "Notifications delivered: 0; failed and kept for a retry: 4.\n"
    assert again.stdout == "Notifications delivered: 0; failed and kept for a retry: 0.\n"
    for n in ids:
        assert after_down[n]["status"] == "pending"
        assert after_down[n]["attempts"] == 1
        assert "cannot connect to SMTP server" in str(after_down[n]["last_error"])
        assert after_down[n]["next_attempt_at"] == "2026-03-02 09:01:00+0800"
    assert up.stdout == "Notifications delivered: 4; failed and kept for a retry: 0.\n"
    assert sorted(inbox.message_ids()) == sorted(f"<outbox-{n}@test.example>" for n in ids)
    assert [listed(org_lv)[n]["attempts"] for n in ids] == [2] * 4


def test_rejected_message_arrives_once(org_lv: Lv, sqlite_db: str, tmp_path: Path) -> None:
    ids = queue(sqlite_db, 4)
    rejected = {f"<outbox-{n}@test.example>" for n in ids[::2]}
    inbox, port = Inbox(), free_port()
    inbox.reject = lambda message: (str(message["Message-ID"]) in rejected
                                    and str(message["Message-ID"]) not in inbox.refused)
    channels = smtp_channels(tmp_path, port, security="none")
    server = SmtpServer(inbox, port)
    server.start()
    try:
        first = org_lv("--now", T0, "notify", "send", "--channels", channels)
        early = org_lv("--now", "2026-03-02T09:00:30+08:00", "notify", "send",
                       "--channels", channels)
        second = org_lv("--now", "2026-03-02T09:01:00+08:00", "notify", "send",
                        "--channels", channels)
    finally:
        server.stop()

    assert first.stdout == "Notifications delivered: 2; failed and kept for a retry: 2.\n"
    assert early.stdout == "Notifications delivered: 0; failed and kept for a retry: 0.\n"
    assert second.stdout == "Notifications delivered: 2; failed and kept for a retry: 0.\n"
    assert sorted(inbox.refused) == sorted(rejected)
    seen = Counter(inbox.message_ids())
    assert set(seen) == {f"<outbox-{n}@test.example>" for n in ids}
    assert set(seen.values()) == {1}
    rows = listed(org_lv)
    assert [rows[n]["attempts"] for n in ids] == [2, 1, 2, 1]
    assert "451" in str(rows[ids[0]]["last_error"])


def test_starttls_with_login(org_lv: Lv, sqlite_db: str, tmp_path: Path) -> None:
    certificate = make_certificate(tmp_path)
    ids = queue(sqlite_db, 1)
    inbox, port = Inbox(), free_port()
    server = SmtpServer(inbox, port, tls_context=certificate.server_context(),
                        require_starttls=True, auth_required=True,
                        authenticator=inbox.authenticate)
    channels = smtp_channels(tmp_path, port, security="starttls", ca_file=str(certificate.cert),
                             username_env="TEST_SMTP_USER", password_env="TEST_SMTP_PASSWORD")
    server.start()
    try:
        result = org_lv("--now", T0, "notify", "send", "--channels", channels,
                        env={"TEST_SMTP_USER": USER, "TEST_SMTP_PASSWORD": PASSWORD})
    finally:
        server.stop()

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("Notifications delivered: 1;")
    assert inbox.logins == [USER]
    assert inbox.message_ids() == [f"<outbox-{ids[0]}@test.example>"]
    assert PASSWORD not in Path(channels).read_text(encoding="utf-8")


def test_ssl_from_the_start(org_lv: Lv, sqlite_db: str, tmp_path: Path) -> None:
    certificate = make_certificate(tmp_path)
    ids = queue(sqlite_db, 2)
    inbox, port = Inbox(), free_port()
    server = SmtpServer(inbox, port, ssl_context=certificate.server_context())
    channels = smtp_channels(tmp_path, port, security="ssl", ca_file=str(certificate.cert))
    server.start()
    try:
        result = org_lv("--now", T0, "notify", "send", "--channels", channels)
    finally:
        server.stop()

    assert result.stdout == "Notifications delivered: 2; failed and kept for a retry: 0.\n"
    assert inbox.message_ids() == [f"<outbox-{n}@test.example>" for n in ids]


def test_untrusted_certificate_keeps_message(org_lv: Lv, sqlite_db: str, tmp_path: Path) -> None:
    certificate = make_certificate(tmp_path)
    ids = queue(sqlite_db, 1)
    inbox, port = Inbox(), free_port()
    server = SmtpServer(inbox, port, ssl_context=certificate.server_context())
    server.start()
    try:
        result = org_lv("--now", T0, "notify", "send", "--channels",
                        smtp_channels(tmp_path, port, security="ssl"))
    finally:
        server.stop()

    row = listed(org_lv)[ids[0]]
    assert result.stdout == "Notifications delivered: 0; failed and kept for a retry: 1.\n"
    assert inbox.messages == []
    assert row["status"] == "pending"
    assert "CERTIFICATE_VERIFY_FAILED" in str(row["last_error"])


def test_unset_credential_variable(org_lv: Lv, sqlite_db: str, tmp_path: Path) -> None:
    ids = queue(sqlite_db, 1)
    channels = smtp_channels(tmp_path, free_port(), username_env="TEST_SMTP_USER",
                             password_env="TEST_SMTP_UNSET_PASSWORD")

    result = org_lv("notify", "send", "--channels", channels, env={"TEST_SMTP_USER": USER})

    assert result.exit_code == 2
    assert result.stderr == (
        f"{channels}:2: channel 'mail' reads its SMTP credentials from environment variable "
        "TEST_SMTP_UNSET_PASSWORD, which is not set. Set it before starting Lvyue.\n")
    assert listed(org_lv)[ids[0]]["attempts"] == 0


def test_password_in_file_is_rejected(org_lv: Lv, tmp_path: Path) -> None:
    channels = smtp_channels(tmp_path, 2525, password="hunter2")

    result = org_lv("notify", "send", "--channels", channels)

    assert result.exit_code == 2
    assert result.stderr.startswith(
        f"{channels}:8:5: channel 'mail' stores 'password' in the file. Credentials stay out "
        "of channel files: put the value in an environment variable and name it with "
        "password_env.\n")


def test_key_of_other_type_is_named(org_lv: Lv, tmp_path: Path) -> None:
    path = tmp_path / "channels.yaml"
    path.write_text("channels:\n  journal:\n    type: file\n    path: out.jsonl\n"
                    "    host: 127.0.0.1\n  mail:\n    type: smtp\n    host: 127.0.0.1\n",
                    encoding="utf-8")

    result = org_lv("notify", "send", "--channels", str(path))

    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        (f"{path}:5:5: key 'host' does not apply to file channel 'journal'. Keys of a file "
         "channel: language, path, type."),
        f"{path}:6:3: smtp channel 'mail' needs 'from'. Add it.",
    ]


def test_send_without_channel_file(org_lv: Lv) -> None:
    result = org_lv("notify", "send")

    assert result.exit_code == 2
    assert result.stderr == ("No channel file. Pass --channels FILE or set LVYUE_CHANNELS; "
                             "README.md shows an example file.\n")


def test_file_channel_failure_then_recovery(org_lv: Lv, sqlite_db: str, tmp_path: Path) -> None:
    ids = queue(sqlite_db, 2)
    path = tmp_path / "channels.yaml"
    path.write_text("channels:\n  journal: {type: file, path: out/notes.jsonl}\n",
                    encoding="utf-8")

    failed = org_lv("--now", T0, "notify", "send", "--channels", str(path))
    (tmp_path / "out").mkdir()
    recovered = org_lv("--now", "2026-03-02T10:00:00+08:00", "notify", "send",
                       "--channels", str(path))

    assert failed.stdout == "Notifications delivered: 0; failed and kept for a retry: 2.\n"
    assert recovered.stdout == "Notifications delivered: 2; failed and kept for a retry: 0.\n"
    records = [json.loads(line) for line in
               (tmp_path / "out" / "notes.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [record["outbox_id"] for record in records] == ids
    assert [record["attempt"] for record in records] == [2, 2]
    assert records[0]["subject"] == "Reminder 0"
    assert {r["email"] for r in records[0]["recipients"]} == FINANCE


def test_retry_skips_delivered_channel(org_lv: Lv, sqlite_db: str, tmp_path: Path) -> None:
    ids = queue(sqlite_db, 2)
    inbox, port = Inbox(), free_port()
    path = tmp_path / "channels.yaml"
    path.write_text("channels:\n  journal: {type: file, path: notes.jsonl}\n"
                    f"  mail: {{type: smtp, host: {HOST}, port: {port}, security: none, "
                    "from: lvyue@test.example}\n", encoding="utf-8")

    org_lv("--now", T0, "notify", "send", "--channels", str(path))
    server = SmtpServer(inbox, port)
    server.start()
    try:
        org_lv("--now", "2026-03-02T10:00:00+08:00", "notify", "send", "--channels", str(path))
    finally:
        server.stop()

    journal = (tmp_path / "notes.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["outbox_id"] for line in journal] == ids
    assert inbox.message_ids() == [f"<outbox-{n}@lvyue.invalid>" for n in ids]
    assert [listed(org_lv)[n]["delivered_through"] for n in ids] == [["journal", "mail"]] * 2


def test_role_without_email_is_kept(org_lv: Lv, sqlite_db: str, tmp_path: Path) -> None:
    ids = queue(sqlite_db, 1, role="nobody_holds_this")
    inbox, port = Inbox(), free_port()
    server = SmtpServer(inbox, port)
    server.start()
    try:
        result = org_lv("--now", T0, "notify", "send", "--channels",
                        smtp_channels(tmp_path, port, security="none"))
    finally:
        server.stop()

    row = listed(org_lv)[ids[0]]
    assert result.stdout == "Notifications delivered: 0; failed and kept for a retry: 1.\n"
    assert row["status"] == "pending"
    assert row["last_error"] == ("mail: no recipient has an email address (role "
                                 "nobody_holds_this); add email addresses to the org file and "
                                 "apply it")


def test_explicit_recipient_address(org_lv: Lv, sqlite_db: str, tmp_path: Path) -> None:
    queue(sqlite_db, 1, role=None, recipient="auditor@test.example")
    queue(sqlite_db, 1, role=None, recipient="li_na")
    inbox, port = Inbox(), free_port()
    server = SmtpServer(inbox, port)
    server.start()
    try:
        org_lv("--now", T0, "notify", "send", "--channels",
               smtp_channels(tmp_path, port, security="none"))
    finally:
        server.stop()

    assert [m["X-Test-Envelope-To"] for m in inbox.messages] == ["auditor@test.example",
                                                                 "li.na@example.com"]


def _send_in_process(db: str, channels: str, barrier, results) -> None:  # type: ignore[no-untyped-def]
    import os

    from engine.cli import build_cli

    os.environ["LOGNAME"] = "lvyue-ops"
    barrier.wait()
    results.put(build_cli().main(["--db", db, "--now", T0, "notify", "send", "--channels",
                                  channels], prog_name="lvyue", standalone_mode=False))


@pytest.mark.postgres
def test_concurrent_senders_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    lv = make_lv(pg_url)
    assert lv("org", "apply", str(ORG_FILE)).exit_code == 0
    ids = queue(pg_url, 40)
    inbox, port = Inbox(), free_port()
    channels = smtp_channels(tmp_path, port, security="none")
    context = mp.get_context("fork")
    barrier, results = context.Barrier(4), context.Queue()
    senders = [context.Process(target=_send_in_process,
                               args=(pg_url, channels, barrier, results)) for _ in range(4)]
    server = SmtpServer(inbox, port)
    server.start()
    try:
        for sender in senders:
            sender.start()
        for sender in senders:
            sender.join(timeout=120)
    finally:
        server.stop()

    assert [results.get(timeout=5) for _ in senders] == [0, 0, 0, 0]
    seen = Counter(inbox.message_ids())
    assert set(seen) == {f"<outbox-{n}@test.example>" for n in ids}
    assert set(seen.values()) == {1}
    assert {row["attempts"] for row in listed(lv).values()} == {1}


def test_example_channel_file_loads() -> None:
    from engine import EXAMPLES_DIR
    from engine.notify.config import load_channel_file

    loaded = load_channel_file(EXAMPLES_DIR / "channels.yaml")

    assert [(c.name, c.type) for c in loaded.channels] == [("journal", "file"), ("mail", "smtp")]
    assert loaded.backoff(1).total_seconds() == 60
    assert loaded.backoff(4).total_seconds() == 480
    assert loaded.backoff(30).total_seconds() == 3600
