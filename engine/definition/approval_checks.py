"""Semantic checks of the approvals that states carry.

The `when` guards of approval levels are compiled and checked with the other
expressions in data_checks; these checks cover names, outcomes and levels.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.definition.check_context import CheckContext, sources_of
from engine.definition.yaml_loader import DocumentPath
from engine.errors import Problem
from engine.i18n import _

OUTCOMES = ("approved", "rejected", "withdrawn")


def approvals(ctx: CheckContext) -> Iterator[tuple[str, dict[str, Any]]]:
    """Yield (state name, approval mapping) for every state that carries an approval."""
    for name, state in ctx.states.items():
        if "approval" in state:
            yield name, state["approval"]


def outcome_triggers(ctx: CheckContext) -> set[str]:
    """Return the triggers that approval outcomes name; the engine fires those."""
    return {approval[key] for _state, approval in approvals(ctx) for key in OUTCOMES}


def check_approval_state_kind(ctx: CheckContext) -> Iterator[Problem]:
    for name, _approval in approvals(ctx):
        state = ctx.states[name]
        if state.get("initial") or state.get("final"):
            yield ctx.problem(
                ("states", name, "approval"),
                _(
                    "state '{state}' carries an approval but is initial or final. A round "
                    "starts when a contract enters the state by a transition, so move the "
                    "approval to a state in between."
                ).format(state=name),
            )


def check_approval_outcomes(ctx: CheckContext) -> Iterator[Problem]:
    for name, approval in approvals(ctx):
        for key in OUTCOMES:
            yield from _check_outcome(ctx, name, key, approval[key])
        if approval["approved"] == approval["rejected"]:
            yield ctx.problem(
                ("states", name, "approval", "rejected"),
                _(
                    "approval of state '{state}' names '{trigger}' both for approved and for "
                    "rejected. Name two different transitions."
                ).format(state=name, trigger=approval["rejected"]),
                at_value=True,
            )


def _check_outcome(ctx: CheckContext, state: str, key: str, trigger: str) -> Iterator[Problem]:
    path: DocumentPath = ("states", state, "approval", key)
    leaving = [t for t in ctx.transitions if t["trigger"] == trigger and state in sources_of(t)]
    if not leaving:
        yield ctx.problem(
            path,
            _(
                "approval of state '{state}' names {outcome} outcome '{trigger}', but no "
                "transition with that trigger leaves '{state}'. Add the transition or fix the "
                "name."
            ).format(state=state, outcome=key, trigger=trigger),
            at_value=True,
        )
        return
    if key == "withdrawn":
        return
    for transition in leaving:
        if "roles" in transition or transition.get("auto"):
            yield ctx.problem(
                path,
                _(
                    "{outcome} outcome '{trigger}' of state '{state}' has roles or auto: true, "
                    "so it could be taken without the approval. Remove roles and auto from "
                    "that transition; the engine fires it."
                ).format(outcome=key, trigger=trigger, state=state),
                at_value=True,
            )


def check_no_automatic_exit(ctx: CheckContext) -> Iterator[Problem]:
    """Report automatic transitions out of a state with an approval, which would skip it."""
    guarded = {name for name, _approval in approvals(ctx)}
    for index, transition in enumerate(ctx.transitions):
        if not transition.get("auto"):
            continue
        for source in sources_of(transition):
            if source in guarded:
                yield ctx.problem(
                    ("transitions", index, "auto"),
                    _(
                        "automatic transition '{trigger}' leaves state '{state}', which carries "
                        "an approval, so it could skip the approval. Leave the state through "
                        "the approval outcomes instead."
                    ).format(trigger=transition["trigger"], state=source),
                )


def check_approval_levels(ctx: CheckContext) -> Iterator[Problem]:
    for name, approval in approvals(ctx):
        levels = approval["levels"]
        for index, level in enumerate(levels):
            yield from _check_level(ctx, ("states", name, "approval", "levels", index), level)
        if all("when" in level for level in levels):
            yield ctx.problem(
                ("states", name, "approval", "levels"),
                _(
                    "every level of the approval of state '{state}' has a when, so a round "
                    "could have no level at all. Remove when from at least one level."
                ).format(state=name),
            )


def _check_level(ctx: CheckContext, path: DocumentPath, level: dict[str, Any]) -> Iterator[Problem]:
    if ("role" in level) == ("roles" in level):
        yield ctx.problem(
            path,
            _(
                "an approval level needs either role (one role) or roles (a countersign by "
                "several roles), not both and not neither."
            ),
        )
    declared = ctx.data.get("roles", {})
    for role_path, role in _level_roles(path, level):
        if role not in declared:
            yield ctx.problem(
                role_path,
                _(
                    "role '{role}' is not declared. Add it under roles or use one of: {known}."
                ).format(role=role, known=", ".join(declared)),
                at_value=True,
            )
    if "escalate" in level and "deadline" not in level:
        yield ctx.problem(
            (*path, "escalate"),
            _("an escalation needs a deadline to start from. Add a deadline such as P3D, or "
              "working_days: 3 under deadline, to this level."),
        )


def _level_roles(path: DocumentPath,
                 level: dict[str, Any]) -> Iterator[tuple[DocumentPath, str]]:
    if "role" in level:
        yield (*path, "role"), level["role"]
    for position, role in enumerate(level.get("roles", [])):
        yield (*path, "roles", position), role
    for kind, role in level.get("escalate", {}).items():
        yield (*path, "escalate", kind), role
