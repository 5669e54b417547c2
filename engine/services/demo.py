"""`lvyue demo`: the main job end to end on shipped sample data.

It applies the sample org and adds the current OS login to the `ops` service
account, so the demo may act for the sample people. Then it deploys the shipped
processes, creates the sample contracts and moves them step by step through the
same services the CLI uses. Last, it imports and replays the sample invoice
ledger, reports its KPIs and runs the audit verification.

The demo reads its own clock: it starts at DEMO_START (or the time given) and
advances by one hour per step, so its history is the same on every run and its
deadlines fall in a year the shipped business calendar covers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from engine import EXAMPLES_DIR, PROCESSES_DIR
from engine.clock import parse_time
from engine.errors import RefusedError
from engine.i18n import _
from engine.services import approvals, contracts, delegations, org, processes
from engine.services.approval_report import vote_lines
from engine.services.identity import Claim, Identity, os_login, resolve
from engine.store.db import Store

DEMO_SERVICE_ACCOUNT = "ops"
DEMO_START = "2026-03-02T09:00:00+08:00"
STEP = timedelta(hours=1)


@dataclass
class DemoReport:
    lines: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)


@dataclass
class DemoClock:
    """The demo's time: one hour later at every call."""

    current: datetime

    def tick(self) -> datetime:
        self.current += STEP
        return self.current


def run_demo(store: Store, say: Callable[[str], None],
             start: datetime | None = None) -> DemoReport:
    report = DemoReport()
    clock = DemoClock(start or parse_time(DEMO_START))
    people = org.load_org_file(EXAMPLES_DIR / "org.yaml")
    for person in people:
        if person["id"] == DEMO_SERVICE_ACCOUNT:
            person["logins"] = sorted({*person.get("logins", []), os_login()})
    with store.write() as session:
        org.check_may_replace_org(session, os_login())
        org.apply_org(session, people)
    say(_("Org applied: {count} people from examples/org.yaml.").format(count=len(people)))

    for path in sorted(PROCESSES_DIR.glob("*.yaml")):
        with store.write() as session:
            result = processes.deploy(session, path, os_login())
        say(_("Process {process} version {version} deployed.").format(
            process=result.definition.process_id, version=result.definition.version))

    from engine.definition.yaml_loader import load_yaml_file

    sample = load_yaml_file(EXAMPLES_DIR / "demo_contracts.yaml").data
    for item in sample.get("delegations", []):
        _delegate(store, item, clock, say)
    for item in sample["contracts"]:
        report.numbers.append(_run_contract(store, item, clock, say))

    from engine.services.demo_ledger import run_ledger_demo

    run_ledger_demo(store, say)
    return report


def _delegate(store: Store, item: dict[str, Any], clock: DemoClock,
              say: Callable[[str], None]) -> None:
    first, last = date.fromisoformat(item["first_day"]), date.fromisoformat(item["last_day"])
    with store.write() as session:
        identity = resolve(session, Claim(as_person=item["from"]))
        row = delegations.create(session, identity, item["from"], item["to"], first, last,
                                 clock.tick())
        number = row.id
    say(_("Delegation {id}: {delegate} may approve for {delegator} from {start} until {end}.")
        .format(id=number, delegate=item["to"], delegator=item["from"], start=first, end=last))


def _run_contract(store: Store, item: dict[str, Any], clock: DemoClock,
                  say: Callable[[str], None]) -> str:
    first_actor = item["steps"][0]["as"]
    with store.write() as session:
        identity = resolve(session, Claim(as_person=first_actor))
        created = contracts.create(session, identity, item["process"], item["customer"],
                                   dict(item["data"]), clock.tick())
    number = created.number
    say(_("{number}: created for {customer} ({state}).").format(
        number=number, customer=item["customer"], state=created.to_state))
    for step in item["steps"]:
        _run_step(store, number, step, clock.tick(), say)
    return number


def _run_step(store: Store, number: str, step: dict[str, Any], now: datetime,
              say: Callable[[str], None]) -> None:
    action = step.get("trigger") or step["vote"]
    try:
        with store.write() as session:
            identity = resolve(session, Claim(as_person=step["as"]))
            lines = _perform(session, identity, number, step, now)
    except RefusedError as exc:
        if not step.get("expect_refusal"):
            raise
        say(_("{number}: {trigger} by {actor} refused as expected: {reason}").format(
            number=number, trigger=action, actor=step["as"], reason=exc.message))
        return
    for line in lines:
        say(line)


def _perform(session: Session, identity: Identity, number: str, step: dict[str, Any],
             now: datetime) -> list[str]:
    """Fire the step's trigger or cast its vote; return the lines that report it."""
    vote = step.get("vote")
    if vote == "approve":
        return vote_lines(approvals.approve(session, identity, number, now,
                                            step.get("comment")), identity.actor)
    if vote == "reject":
        return vote_lines(approvals.reject(session, identity, number, now, step["reason"]),
                          identity.actor)

    assignments = tuple(f"{key}={value}" for key, value in (step.get("set") or {}).items())
    result = contracts.fire(session, identity, number, step["trigger"], now,
                            reason=step.get("reason"), assignments=assignments)
    return [_("{number}: {trigger} {from_state} -> {to_state} (by {actor})").format(
        number=number, trigger=trigger, from_state=from_state, to_state=to_state, actor=actor)
        for trigger, from_state, to_state, actor in result.moves]
