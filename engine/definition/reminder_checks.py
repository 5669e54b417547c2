"""Semantic checks of obligation reminders (`remind`, `remind_to`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from engine.definition.check_context import CheckContext
from engine.errors import Problem
from engine.i18n import _


def check_reminder_roles(ctx: CheckContext) -> Iterator[Problem]:
    declared = ctx.data.get("roles", {})
    for name, obligation in ctx.data.get("obligations", {}).items():
        path = ("obligations", name)
        if "remind" in obligation and "remind_to" not in obligation:
            yield ctx.problem((*path, "remind"), _(
                "obligation '{obligation}' has reminders but no remind_to. Add remind_to: "
                "[ROLE] with the roles to notify."
            ).format(obligation=name))
        if "remind_to" in obligation and "remind" not in obligation:
            yield ctx.problem((*path, "remind_to"), _(
                "obligation '{obligation}' names remind_to but no reminders. Add remind: "
                "[-P7D, P0D] or remove remind_to."
            ).format(obligation=name))
        for index, role in enumerate(obligation.get("remind_to", [])):
            if role not in declared:
                yield ctx.problem((*path, "remind_to", index), _(
                    "role '{role}' is not declared. Add it under roles or use one of: {known}."
                ).format(role=role, known=", ".join(declared)), at_value=True)


# The schema's pattern already limits offsets to what engine.clock.parse_duration reads.
REMINDER_CHECKS: tuple[Callable[[CheckContext], Iterator[Problem]], ...] = (
    check_reminder_roles,
)
