"""`lvyue demo`: the main job end to end on shipped sample data.

It applies the sample org (adding the current OS login to the `ops` service
account, so the demo may act for the sample people), deploys the shipped
processes, creates the sample contracts, moves them step by step through the
same services the CLI uses, imports and replays the sample invoice ledger and
reports its KPIs, and ends with the audit verification.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from engine import EXAMPLES_DIR, PROCESSES_DIR
from engine.clock import utcnow
from engine.errors import RefusedError
from engine.i18n import _
from engine.services import contracts, org, processes
from engine.services.identity import Claim, os_login, resolve
from engine.store.db import Store

DEMO_SERVICE_ACCOUNT = "ops"


@dataclass
class DemoReport:
    lines: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)


def run_demo(store: Store, say: Callable[[str], None]) -> DemoReport:
    report = DemoReport()
    people = org.load_org_file(EXAMPLES_DIR / "org.yaml")
    for person in people:
        if person["id"] == DEMO_SERVICE_ACCOUNT:
            person["logins"] = sorted({*person.get("logins", []), os_login()})
    with store.write() as session:
        org.apply_org(session, people)
    say(_("Org applied: {count} people from examples/org.yaml.").format(count=len(people)))

    for path in sorted(PROCESSES_DIR.glob("*.yaml")):
        with store.write() as session:
            result = processes.deploy(session, path, os_login())
        say(_("Process {process} version {version} deployed.").format(
            process=result.definition.process_id, version=result.definition.version))

    from engine.definition.yaml_loader import load_yaml_file

    sample = load_yaml_file(EXAMPLES_DIR / "demo_contracts.yaml").data
    for item in sample["contracts"]:
        report.numbers.append(_run_contract(store, item, say))

    from engine.services.demo_ledger import run_ledger_demo

    run_ledger_demo(store, say)
    return report


def _run_contract(store: Store, item: dict[str, Any], say: Callable[[str], None]) -> str:
    first_actor = item["steps"][0]["as"]
    with store.write() as session:
        identity = resolve(session, Claim(as_person=first_actor))
        created = contracts.create(session, identity, item["process"], item["customer"],
                                   dict(item["data"]), utcnow())
    number = created.number
    say(_("{number}: created for {customer} ({state}).").format(
        number=number, customer=item["customer"], state=created.to_state))
    for step in item["steps"]:
        _run_step(store, number, step, say)
    return number


def _run_step(store: Store, number: str, step: dict[str, Any], say: Callable[[str], None]) -> None:
    assignments = tuple(f"{key}={value}" for key, value in (step.get("set") or {}).items())
    try:
        with store.write() as session:
            identity = resolve(session, Claim(as_person=step["as"]))
            result = contracts.fire(session, identity, number, step["trigger"], utcnow(),
                                    reason=step.get("reason"), assignments=assignments)
    except RefusedError as exc:
        if not step.get("expect_refusal"):
            raise
        say(_("{number}: {trigger} by {actor} refused as expected: {reason}").format(
            number=number, trigger=step["trigger"], actor=step["as"], reason=exc.message))
        return
    for trigger, from_state, to_state, actor in result.moves:
        say(_("{number}: {trigger} {from_state} -> {to_state} (by {actor})").format(
            number=number, trigger=trigger, from_state=from_state, to_state=to_state,
            actor=actor))
