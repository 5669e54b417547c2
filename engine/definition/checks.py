"""Semantic checks of a process definition that has already passed its JSON Schema.

Each rule is one small function that yields located Problems; `run_checks` runs
them all, so a process owner sees every problem at once.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator

from engine.definition.approval_checks import (
    check_approval_levels,
    check_approval_outcomes,
    check_approval_state_kind,
    check_no_automatic_exit,
    outcome_triggers,
)
from engine.definition.check_context import (
    CEL_IDENTIFIER,
    CEL_RESERVED_WORDS,
    CheckContext,
    invalid_identifier,
    sources_of,
)
from engine.definition.data_checks import (
    check_data_field_names,
    check_data_schema_valid,
    check_expressions,
    check_set_fields_declared,
)
from engine.definition.obligation_checks import (
    check_obligation_expression_roots,
    check_settled_by_declared,
)
from engine.definition.plan_checks import PLAN_CHECKS, plan_fired_triggers
from engine.definition.reminder_checks import REMINDER_CHECKS
from engine.definition.yaml_loader import DocumentPath, LoadedDocument
from engine.errors import Problem
from engine.i18n import _

# The state machine model owns these attributes, so states and triggers may not use them.
MODEL_NAMES = frozenset({"state", "trigger"})
MODEL_PREFIXES = ("to_", "may_", "is_")


def check_process_id_matches_file(ctx: CheckContext) -> Iterator[Problem]:
    expected = ctx.expected_process_id
    if expected is None or ctx.data["process"] == expected:
        return

    yield ctx.problem(
        ("process",),
        _(
            "process id '{process}' does not match the file name {expected}.yaml. Rename the "
            "file or set process: {expected}."
        ).format(process=ctx.data["process"], expected=expected),
        at_value=True,
    )


def check_one_initial_state(ctx: CheckContext) -> Iterator[Problem]:
    initial = [name for name, state in ctx.states.items() if state.get("initial")]

    if not initial:
        yield ctx.problem(
            ("states",),
            _("no state is initial. Mark the state new contracts start in with initial: true."),
        )
    for name in initial[1:]:
        yield ctx.problem(
            ("states", name, "initial"),
            _(
                "state '{state}' is initial, but '{first}' already is. Exactly one state may be "
                "initial."
            ).format(state=name, first=initial[0]),
        )


def check_state_names_exist(ctx: CheckContext) -> Iterator[Problem]:
    known = ", ".join(ctx.states)
    for index, transition in enumerate(ctx.transitions):
        sources = transition["from"]
        paths: list[tuple[DocumentPath, str]] = (
            [(("transitions", index, "from"), sources)]
            if isinstance(sources, str)
            else [
                (("transitions", index, "from", position), name)
                for position, name in enumerate(sources)
            ]
        )
        paths.append((("transitions", index, "to"), transition["to"]))

        for path, state in paths:
            if state not in ctx.states:
                yield ctx.problem(
                    path,
                    _(
                        "transition '{trigger}' names unknown state '{state}'. Known states: "
                        "{known}."
                    ).format(trigger=transition["trigger"], state=state, known=known),
                    at_value=True,
                )


def check_states_reachable(ctx: CheckContext) -> Iterator[Problem]:
    initial = [name for name, state in ctx.states.items() if state.get("initial")]
    if len(initial) != 1:
        return  # reported by check_one_initial_state

    reached = {initial[0]}
    queue = deque(reached)
    while queue:
        current = queue.popleft()
        for transition in ctx.transitions:
            if current in sources_of(transition) and transition["to"] not in reached:
                reached.add(transition["to"])
                queue.append(transition["to"])

    for name in ctx.states:
        if name not in reached:
            yield ctx.problem(
                ("states", name),
                _(
                    "state '{state}' cannot be reached from the initial state '{initial}'. Add a "
                    "transition into it or remove it."
                ).format(state=name, initial=initial[0]),
            )


def check_states_have_way_out(ctx: CheckContext) -> Iterator[Problem]:
    left = {source for transition in ctx.transitions for source in sources_of(transition)}

    for name, state in ctx.states.items():
        if not state.get("final") and name not in left:
            yield ctx.problem(
                ("states", name),
                _(
                    "state '{state}' has no transition out of it and is not final. Add a "
                    "transition from it or mark it final: true."
                ).format(state=name),
            )


def check_final_states_have_no_exit(ctx: CheckContext) -> Iterator[Problem]:
    for index, transition in enumerate(ctx.transitions):
        for source in sources_of(transition):
            if ctx.states.get(source, {}).get("final"):
                yield ctx.problem(
                    ("transitions", index, "from"),
                    _(
                        "transition '{trigger}' leaves final state '{state}'. Remove the "
                        "transition or remove final: true."
                    ).format(trigger=transition["trigger"], state=source),
                )


def check_initial_not_final(ctx: CheckContext) -> Iterator[Problem]:
    for name, state in ctx.states.items():
        if state.get("initial") and state.get("final"):
            yield ctx.problem(
                ("states", name, "final"),
                _(
                    "state '{state}' is both initial and final, so a contract could never move. "
                    "Remove one of the two."
                ).format(state=name),
            )


def _role_uses(ctx: CheckContext) -> Iterator[tuple[DocumentPath, str]]:
    for index, transition in enumerate(ctx.transitions):
        for position, role in enumerate(transition.get("roles", [])):
            yield ("transitions", index, "roles", position), role
        for number, action in enumerate(transition.get("actions", [])):
            for kind in ("task", "notify"):
                if kind in action:
                    yield (
                        ("transitions", index, "actions", number, kind, "role"),
                        action[kind]["role"],
                    )


def check_roles_declared(ctx: CheckContext) -> Iterator[Problem]:
    declared = ctx.data.get("roles", {})
    for path, role in _role_uses(ctx):
        if role not in declared:
            yield ctx.problem(
                path,
                _(
                    "role '{role}' is not declared. Add it under roles or use one of: {known}."
                ).format(role=role, known=", ".join(declared)),
                at_value=True,
            )


def check_shared_trigger_order(ctx: CheckContext) -> Iterator[Problem]:
    """Transitions sharing (from, trigger): at most one without a guard, and it comes last."""
    groups: dict[tuple[str, str], list[int]] = {}
    for index, transition in enumerate(ctx.transitions):
        for source in sources_of(transition):
            groups.setdefault((source, transition["trigger"]), []).append(index)

    reported: set[int] = set()
    for (source, trigger), indexes in groups.items():
        unguarded = [i for i in indexes if "guard" not in ctx.transitions[i]]
        for index in unguarded:
            if index == indexes[-1] or index in reported:
                continue
            reported.add(index)
            later_line = ctx.doc.locate(("transitions", indexes[-1]))[0]
            yield ctx.problem(
                ("transitions", index),
                _(
                    "transition '{trigger}' from '{state}' has no guard, but another transition "
                    "with the same trigger follows it at line {line} and could never be chosen. "
                    "Give this one a guard or move it last."
                ).format(trigger=trigger, state=source, line=later_line),
            )


def check_names_allowed(ctx: CheckContext) -> Iterator[Problem]:
    for name in ctx.states:
        yield from _check_model_name(ctx, ("states", name), name, _("state"))
    for index, transition in enumerate(ctx.transitions):
        trigger = transition["trigger"]
        yield from _check_model_name(ctx, ("transitions", index, "trigger"), trigger, _("trigger"))


def _check_model_name(
    ctx: CheckContext, path: DocumentPath, name: str, kind: str
) -> Iterator[Problem]:
    if name in MODEL_NAMES or name.startswith(MODEL_PREFIXES):
        yield ctx.problem(
            path,
            _(
                "{kind} name '{name}' is reserved by the state machine (state, trigger and names "
                "starting with to_, may_ or is_ are). Choose another name."
            ).format(kind=kind, name=name),
        )
    elif not CEL_IDENTIFIER.match(name) or name in CEL_RESERVED_WORDS:
        yield ctx.problem(path, invalid_identifier(kind, name))


def check_auto_transitions(ctx: CheckContext) -> Iterator[Problem]:
    """`auto: true` needs a guard and no roles: the engine alone fires it, when the guard holds."""
    for index, transition in enumerate(ctx.transitions):
        if not transition.get("auto"):
            continue
        if "guard" not in transition:
            yield ctx.problem(
                ("transitions", index, "auto"),
                _(
                    "automatic transition '{trigger}' has no guard, so it would fire at once. "
                    "Add a guard."
                ).format(trigger=transition["trigger"]),
            )
        if "roles" in transition:
            yield ctx.problem(
                ("transitions", index, "roles"),
                _(
                    "automatic transition '{trigger}' lists roles, but only the engine fires it. "
                    "Remove roles, or remove auto: true to let people fire it."
                ).format(trigger=transition["trigger"]),
            )


def check_transitions_can_fire(ctx: CheckContext) -> Iterator[Problem]:
    """Report transitions with neither roles nor `auto: true`, which nothing could fire.

    A transition that an approval outcome or a contingency plan names passes,
    because the engine fires it.
    """
    engine_fired = outcome_triggers(ctx) | plan_fired_triggers(ctx.data)
    for index, transition in enumerate(ctx.transitions):
        if transition["trigger"] in engine_fired:
            continue
        if "roles" not in transition and not transition.get("auto"):
            yield ctx.problem(
                ("transitions", index),
                _(
                    "nothing can fire transition '{trigger}': it has no roles and is not "
                    "automatic. Add roles or auto: true with a guard."
                ).format(trigger=transition["trigger"]),
            )


CHECKS: tuple[Callable[[CheckContext], Iterator[Problem]], ...] = (
    check_process_id_matches_file,
    check_one_initial_state,
    check_initial_not_final,
    check_state_names_exist,
    check_states_reachable,
    check_states_have_way_out,
    check_final_states_have_no_exit,
    check_roles_declared,
    check_shared_trigger_order,
    check_names_allowed,
    check_data_field_names,
    check_data_schema_valid,
    check_expressions,
    check_set_fields_declared,
    check_auto_transitions,
    check_transitions_can_fire,
    check_approval_state_kind,
    check_approval_outcomes,
    check_approval_levels,
    check_no_automatic_exit,
    check_settled_by_declared,
    check_obligation_expression_roots,
    *PLAN_CHECKS,
    *REMINDER_CHECKS,
)


def run_checks(
    doc: LoadedDocument, name: str, expected_process_id: str | None = None
) -> list[Problem]:
    """Run every semantic check and return all problems, sorted by position."""
    ctx = CheckContext(doc, name, expected_process_id)
    problems = [problem for check in CHECKS for problem in check(ctx)]
    return sorted(problems, key=lambda p: (p.line or 0, p.column or 0, p.message))
