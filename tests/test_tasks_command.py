"""`lvyue tasks`: what waits for whom, oldest first, for one person or one role."""

from __future__ import annotations

import json
from pathlib import Path

from tests.approval_helpers import act, create, setup
from tests.conftest import Lv

PEOPLE = {"seller": ["sales"], "lee": ["legal"], "lin": ["legal"], "fin": ["finance"]}
LEVELS = ("        - {role: legal, deadline: P3D, label: {en: Legal review, zh-CN: 法务审核}}\n"
          "        - {role: finance}\n")


def tasks(lv: Lv, *args: str, actor: str = "seller",
          now: str = "2026-03-04T09:00:00+08:00") -> list[dict[str, object]]:
    result = act(lv, actor, "tasks", "--format", "json", *args, now=now)
    assert result.exit_code == 0, result.output
    rows: list[dict[str, object]] = json.loads(result.stdout)
    return rows


def submit_two(lv: Lv) -> tuple[str, str]:
    first, second = create(lv), create(lv)
    assert act(lv, "seller", "contract", "fire", second, "submit",
               now="2026-03-02T09:00:00+08:00").exit_code == 0
    assert act(lv, "seller", "contract", "fire", first, "submit",
               now="2026-03-03T09:00:00+08:00").exit_code == 0
    return first, second


def test_tasks_oldest_first_with_due(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    first, second = submit_two(lv)

    rows = tasks(lv, now="2026-03-05T10:00:00+08:00")

    assert [(r["contract"], r["waits_for"], r["due_at"], r["overdue"]) for r in rows] == [
        (second, "lee", "2026-03-05 09:00:00+0800", True),
        (second, "lin", "2026-03-05 09:00:00+0800", True),
        (first, "lee", "2026-03-06 09:00:00+0800", False),
        (first, "lin", "2026-03-06 09:00:00+0800", False),
    ]
    assert rows[0]["title"] == f"Approve {second}: level 1, Legal counsel"
    assert rows[0]["kind"] == "approval"


def test_tasks_mine_and_role(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    first, second = submit_two(lv)
    assert act(lv, "lee", "contract", "approve", second).exit_code == 0

    mine = tasks(lv, "--mine", actor="lin")
    finance = tasks(lv, "--role", "finance")
    nothing = tasks(lv, "--mine", actor="seller")

    assert [(r["contract"], r["waits_for"]) for r in mine] == [(first, "lin")]
    assert [(r["contract"], r["waits_for"]) for r in finance] == [(second, "fin")]
    assert nothing == []


def test_tasks_table_headers(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    submit_two(lv)

    result = act(lv, "seller", "tasks", "--format", "csv")

    assert result.stdout.splitlines()[0] == (
        "id,contract,kind,title,role,waits_for,for,created_at,due_at,overdue")
    assert len(result.stdout.splitlines()) == 5


def test_tasks_in_chinese(lv: Lv, tmp_path: Path) -> None:
    setup(lv, tmp_path, PEOPLE, LEVELS)
    number = create(lv)
    assert act(lv, "seller", "contract", "fire", number, "submit").exit_code == 0

    result = act(lv, "seller", "--lang", "zh-CN", "tasks", "--format", "json")

    [title] = {row["title"] for row in json.loads(result.stdout)}
    assert number in title
    assert "法务" in title
