"""Org files, process files and commands shared by the approval tests."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import Result

from tests.conftest import Lv

NOW = "2026-03-02T10:00:00+08:00"  # a Monday and a working day

PROCESS_TEMPLATE = """\
process: approval_test
version: 1
title: {{en: Approval test, zh-CN: 审批测试}}
roles:
  sales: {{en: Sales manager, zh-CN: 销售经理}}
  legal: {{en: Legal counsel, zh-CN: 法务}}
  finance: {{en: Finance, zh-CN: 财务}}
  board: {{en: Board member, zh-CN: 董事}}
  cfo: {{en: Chief financial officer, zh-CN: 财务总监}}
data:
  type: object
  properties:
    amount: {{type: string}}
    note: {{type: string}}
states:
  draft: {{initial: true, label: {{en: Draft, zh-CN: 草稿}}}}
  approval:
    label: {{en: In approval, zh-CN: 审批中}}
    approval:
      levels:
{levels}
      approved: approve_done
      rejected: send_back
      withdrawn: withdraw
  active: {{label: {{en: Active, zh-CN: 履行中}}}}
  closed: {{final: true, label: {{en: Closed, zh-CN: 已关闭}}}}
transitions:
  - {{trigger: submit, from: draft, to: approval, roles: [sales]}}
  - {{trigger: withdraw, from: approval, to: draft, roles: [sales]}}
  - {{trigger: amend, from: approval, to: approval, roles: [sales]}}
  - {{trigger: approve_done, from: approval, to: active}}
  - {{trigger: send_back, from: approval, to: draft}}
  - {{trigger: close, from: active, to: closed, roles: [sales]}}
"""


def process_text(levels: str) -> str:
    """Return the approval_test process with `levels` (YAML list items, 8 spaces in)."""
    return PROCESS_TEMPLATE.format(levels=levels.rstrip("\n"))


def setup(lv: Lv, tmp_path: Path, people: dict[str, list[str]], levels: str) -> None:
    """Apply an org of `people` (id -> roles) and deploy approval_test with `levels`."""
    org = tmp_path / "org.yaml"
    lines = ["people:"]
    for person, roles in people.items():
        lines.append(f"  {person}: {{name: {person}, roles: [{', '.join(roles)}]}}")
    lines.append("  ops: {name: Ops, roles: [], logins: [lvyue-ops], act_for_others: true}")
    org.write_text("\n".join(lines) + "\n", encoding="utf-8")
    process = tmp_path / "approval_test.yaml"
    process.write_text(process_text(levels), encoding="utf-8")

    for args in (("org", "apply", str(org)), ("process", "deploy", str(process))):
        result = lv(*args)
        assert result.exit_code == 0, result.output


def act(lv: Lv, actor: str, *args: str, now: str = NOW) -> Result:
    return lv("--now", now, "--as", actor, *args)


def create(lv: Lv, actor: str = "seller", process: str = "approval_test",
           *sets: str) -> str:
    pairs = [arg for pair in (sets or ("amount=100.00",)) for arg in ("--set", pair)]
    result = act(lv, actor, "contract", "new", "--process", process, "--customer", "Acme",
                 *pairs)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


def submitted(lv: Lv, actor: str = "seller", *sets: str) -> str:
    number = create(lv, actor, "approval_test", *sets)
    result = act(lv, actor, "contract", "fire", number, "submit")
    assert result.exit_code == 0, result.output
    return number


def history(lv: Lv, number: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = json.loads(
        lv("contract", "history", number, "--format", "json").stdout)
    return rows


def shown(lv: Lv, number: str) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(lv("contract", "show", number, "--format", "json").stdout)
    return record


def state_of(lv: Lv, number: str) -> str:
    return str(shown(lv, number)["state"])


def snapshot(lv: Lv, number: str) -> tuple[str, str, str]:
    """Contract, history and tasks as text, to check that a refusal changed nothing."""
    return (lv("contract", "show", number, "--format", "json").stdout,
            lv("contract", "history", number, "--format", "json").stdout,
            lv("tasks", "--format", "json").stdout)


def events(lv: Lv, number: str) -> list[str]:
    """Return the event of each approval history row, in order."""
    return [row["details"]["event"] for row in history(lv, number) if row["kind"] == "approval"]
