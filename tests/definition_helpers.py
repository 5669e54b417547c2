"""Small process definitions and helpers shared by the definition tests."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from engine.errors import DefinitionError, Problem

# A valid process; tests derive broken variants from it with str.replace.
MINIMAL_PROCESS = """\
process: sample
version: 1
title: {en: Sample, zh-CN: 样例}
roles:
  sales: {en: Sales manager, zh-CN: 销售经理}
  legal: {en: Legal counsel, zh-CN: 法务}
data:
  type: object
  properties:
    amount: {type: string}
    approved_on: {type: string}
    party:
      type: object
      properties:
        name: {type: string}
states:
  draft:
    initial: true
    label: {en: Draft, zh-CN: 草稿}
  approval:
    label: {en: In approval, zh-CN: 审批中}
  archived:
    final: true
    label: {en: Archived, zh-CN: 已归档}
transitions:
  - trigger: submit
    from: draft
    to: approval
    roles: [sales]
    guard: 'money_gt(data.amount, "0")'
  - trigger: approve
    from: approval
    to: archived
    roles: [legal]
    actions:
      - set: {approved_on: today}
"""


def variant(old: str, new: str, text: str = MINIMAL_PROCESS) -> str:
    """Return `text` with `old` replaced by `new`; `old` must occur exactly once."""
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
    return text.replace(old, new)


def line_of(text: str, marker: str, occurrence: int = 1) -> int:
    """Return the 1-based line number of the `occurrence`-th line containing `marker`."""
    found = [number for number, line in enumerate(text.splitlines(), 1) if marker in line]
    assert len(found) >= occurrence, f"{marker!r} found on {len(found)} line(s)"
    return found[occurrence - 1]


def problems_of(raising: Callable[..., object], *args: object, **kwargs: object) -> list[Problem]:
    """Call `raising`, expect a DefinitionError and return its problems."""
    with pytest.raises(DefinitionError) as caught:
        raising(*args, **kwargs)
    return caught.value.problems
