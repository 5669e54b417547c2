"""The lines that report a vote, shared by `lvyue contract approve|reject` and the demo."""

from __future__ import annotations

from engine.clock import local_text
from engine.i18n import _
from engine.services.approvals import VoteResult


def vote_lines(result: VoteResult, actor: str) -> list[str]:
    """Describe the vote, the level it started and the moves it caused, one line each."""
    delegated = result.delegation_id is not None
    if result.decision == "approve" and delegated:
        message = _("{number}: {actor} approved level {level} ({role}) for {principal} "
                    "(delegation {delegation}).")
    elif result.decision == "approve":
        message = _("{number}: {actor} approved level {level} ({role}).")
    elif delegated:
        message = _("{number}: {actor} rejected at level {level} ({role}) for {principal} "
                    "(delegation {delegation}): {reason}")
    else:
        message = _("{number}: {actor} rejected at level {level} ({role}): {reason}")
    lines = [message.format(number=result.number, actor=actor, level=result.position,
                            role=result.role, principal=result.principal,
                            delegation=result.delegation_id, reason=result.text or "")]

    start = result.next_level
    if start is not None:
        people = "; ".join(f"{role}: {', '.join(names) or '-'}"
                           for role, names in start.approvers.items())
        if start.due_at is None:
            message = _("{number}: level {level} started; approvers {people}; no deadline.")
        else:
            message = _("{number}: level {level} started; approvers {people}; due {due}.")
        lines.append(message.format(number=result.number, level=start.position, people=people,
                                    due=local_text(start.due_at) if start.due_at else ""))
    for trigger, from_state, to_state, mover in result.moves:
        lines.append(_("{number}: {trigger} {from_state} -> {to_state} (by {actor})").format(
            number=result.number, trigger=trigger, from_state=from_state, to_state=to_state,
            actor=mover))
    return lines
