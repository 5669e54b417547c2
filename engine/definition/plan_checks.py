"""Semantic checks of the contingency plans in a process document.

Each check yields located Problems, like the checks in checks.py, which runs
them after its own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

from engine.clock import parse_duration
from engine.definition.check_context import CheckContext
from engine.definition.data_checks import _unknown_paths as unknown_paths
from engine.definition.yaml_loader import DocumentPath
from engine.errors import BadInputError, Problem
from engine.expression_paths import money_float_literals
from engine.expressions import ExpressionError, compile_guard
from engine.i18n import _


def _plans(ctx: CheckContext) -> Iterator[tuple[str, DocumentPath, dict[str, Any]]]:
    for plan_id, plan in ctx.data.get("contingency_plans", {}).items():
        yield plan_id, ("contingency_plans", plan_id), plan


def plan_fired_triggers(data: dict[str, Any]) -> set[str]:
    """Return the triggers that contingency plans fire, directly or in an escalation step."""
    fired: set[str] = set()
    for plan in data.get("contingency_plans", {}).values():
        if "fire" in plan:
            fired.add(plan["fire"])
        fired.update(step["fire"] for step in plan.get("escalate", []) if "fire" in step)
    return fired


def _role_uses(path: DocumentPath, plan: dict[str, Any]) -> Iterator[tuple[DocumentPath, str]]:
    yield (*path, "owner"), plan["owner"]
    for index, role in enumerate(plan.get("contacts", [])):
        yield (*path, "contacts", index), role
    for index, measure in enumerate(plan.get("measures", [])):
        yield (*path, "measures", index, "role"), measure["role"]
    for index, step in enumerate(plan.get("escalate", [])):
        if "notify" in step:
            yield (*path, "escalate", index, "notify"), step["notify"]
        if "task" in step:
            yield (*path, "escalate", index, "task", "role"), step["task"]["role"]


def check_plan_roles_declared(ctx: CheckContext) -> Iterator[Problem]:
    declared = ctx.data.get("roles", {})
    for _plan_id, path, plan in _plans(ctx):
        for role_path, role in _role_uses(path, plan):
            if role not in declared:
                yield ctx.problem(role_path, _(
                    "role '{role}' is not declared. Add it under roles or use one of: {known}."
                ).format(role=role, known=", ".join(declared)), at_value=True)


def check_plan_trigger(ctx: CheckContext) -> Iterator[Problem]:
    for plan_id, path, plan in _plans(ctx):
        if "when" in plan and "on" in plan:
            yield ctx.problem((*path, "on"), _(
                "contingency plan '{plan}' has both when and on. Keep one: when opens the plan "
                "when a guard holds, on when an event is recorded."
            ).format(plan=plan_id))
        elif "when" not in plan and "on" not in plan:
            yield ctx.problem(path, _(
                "contingency plan '{plan}' has no trigger. Add when: GUARD, or on: EVENT."
            ).format(plan=plan_id))


def check_plan_events(ctx: CheckContext) -> Iterator[Problem]:
    events = ctx.data.get("events", {})
    for plan_id, path, plan in _plans(ctx):
        if "on" in plan and plan["on"] not in events:
            yield ctx.problem((*path, "on"), _(
                "contingency plan '{plan}' opens on event '{event}', which is not declared. "
                "Declared events: {known}."
            ).format(plan=plan_id, event=plan["on"], known=", ".join(events) or "-"),
                at_value=True)


def check_plan_closure(ctx: CheckContext) -> Iterator[Problem]:
    for plan_id, path, plan in _plans(ctx):
        if "closes_when" not in plan and not plan.get("measures"):
            yield ctx.problem(path, _(
                "contingency plan '{plan}' could never close: it has neither closes_when nor "
                "measures. Add closes_when: GUARD, or measures whose completion closes it."
            ).format(plan=plan_id))


def check_plan_states(ctx: CheckContext) -> Iterator[Problem]:
    for plan_id, path, plan in _plans(ctx):
        for index, state in enumerate(plan.get("in", [])):
            spec = ctx.states.get(state)
            if spec is None:
                yield ctx.problem((*path, "in", index), _(
                    "contingency plan '{plan}' names unknown state '{state}'. Known states: "
                    "{known}."
                ).format(plan=plan_id, state=state, known=", ".join(ctx.states)), at_value=True)
            elif spec.get("final"):
                yield ctx.problem((*path, "in", index), _(
                    "contingency plan '{plan}' lists final state '{state}', where plans are not "
                    "evaluated. Remove it."
                ).format(plan=plan_id, state=state), at_value=True)


def check_plan_fire_triggers(ctx: CheckContext) -> Iterator[Problem]:
    known = list(dict.fromkeys(t["trigger"] for t in ctx.transitions))
    for plan_id, path, plan in _plans(ctx):
        uses = [((*path, "fire"), plan["fire"])] if "fire" in plan else []
        uses += [((*path, "escalate", index, "fire"), step["fire"])
                 for index, step in enumerate(plan.get("escalate", [])) if "fire" in step]
        for fire_path, trigger in uses:
            if trigger not in known:
                yield ctx.problem(fire_path, _(
                    "contingency plan '{plan}' fires unknown trigger '{trigger}'. Known "
                    "triggers: {known}."
                ).format(plan=plan_id, trigger=trigger, known=", ".join(known)), at_value=True)


def check_escalation_steps(ctx: CheckContext) -> Iterator[Problem]:
    for plan_id, path, plan in _plans(ctx):
        for index, step in enumerate(plan.get("escalate", [])):
            actions = [key for key in ("notify", "task", "fire") if key in step]
            if len(actions) != 1:
                yield ctx.problem((*path, "escalate", index), _(
                    "escalation step {number} of contingency plan '{plan}' has {found}. Give "
                    "exactly one of notify, task or fire."
                ).format(number=index + 1, plan=plan_id,
                         found=", ".join(actions) or _("no action")))


def _durations(path: DocumentPath, plan: dict[str, Any]) -> Iterator[tuple[DocumentPath, str]]:
    for index, measure in enumerate(plan.get("measures", [])):
        yield (*path, "measures", index, "due"), measure["due"]
    for index, step in enumerate(plan.get("escalate", [])):
        yield (*path, "escalate", index, "after"), step["after"]
        if "due" in step.get("task", {}):
            yield (*path, "escalate", index, "task", "due"), step["task"]["due"]


def check_plan_durations(ctx: CheckContext) -> Iterator[Problem]:
    for _plan_id, path, plan in _plans(ctx):
        for duration_path, text in _durations(path, plan):
            try:
                valid = parse_duration(text) >= timedelta(0)
            except BadInputError:
                valid = False
            if not valid:
                yield ctx.problem(duration_path, _(
                    "duration {value} is not supported. Use weeks, days, hours or minutes, for "
                    "example P3D, P2W or PT4H."
                ).format(value=text), at_value=True)


def check_plan_guards(ctx: CheckContext) -> Iterator[Problem]:
    for _plan_id, path, plan in _plans(ctx):
        for key in ("when", "closes_when"):
            if key in plan:
                yield from _guard_problems(ctx, (*path, key), plan[key])


def _guard_problems(ctx: CheckContext, path: DocumentPath, source: str) -> Iterator[Problem]:
    try:
        guard = compile_guard(source)
    except ExpressionError as exc:
        yield ctx.problem(path, exc.message, at_value=True)
        return
    for message in unknown_paths(ctx, guard):
        yield ctx.problem(path, message, at_value=True)
    for literal in money_float_literals(source):
        yield ctx.problem(path, _(
            "amount {literal} in '{source}' is a floating-point number. Write it as the "
            'decimal string "{literal}".'
        ).format(literal=literal, source=source), at_value=True)


PLAN_CHECKS: tuple[Callable[[CheckContext], Iterator[Problem]], ...] = (
    check_plan_roles_declared,
    check_plan_trigger,
    check_plan_events,
    check_plan_closure,
    check_plan_states,
    check_plan_fire_triggers,
    check_escalation_steps,
    check_plan_durations,
    check_plan_guards,
)
