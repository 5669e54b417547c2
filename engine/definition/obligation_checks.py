"""Semantic checks of a process's events and obligations, and of guards that read them."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from engine.definition.check_context import CheckContext
from engine.definition.model import OBLIGATION_FIELDS
from engine.errors import Problem
from engine.expressions import ExpressionError, compile_expression
from engine.i18n import _

# Obligation amounts and due dates are computed from the contract alone, so they do not
# move with the clock and cannot depend on each other.
OBLIGATION_EXPRESSION_ROOTS = frozenset({"data", "contract"})


def events_of(ctx: CheckContext) -> dict[str, dict[str, Any]]:
    events: dict[str, dict[str, Any]] = ctx.data.get("events", {})
    return events


def obligations_of(ctx: CheckContext) -> dict[str, dict[str, Any]]:
    obligations: dict[str, dict[str, Any]] = ctx.data.get("obligations", {})
    return obligations


def obligation_path_problems(ctx: CheckContext, dotted: str, source: str) -> Iterator[str]:
    """Describe what is wrong with `dotted`, a path under the `obligations` root."""
    declared = obligations_of(ctx)
    if not declared:
        yield _("{path} reads obligations, but this process declares none.").format(path=dotted)
        return

    rest = dotted.split(".")[1:]
    example = f"obligations.{next(iter(declared))}.settled"
    if len(rest) != 2:
        yield _(
            "{path} in '{source}' must name an obligation and one of its fields, for "
            "example {example}."
        ).format(path=dotted, source=source, example=example)
    elif rest[0] not in declared:
        yield _(
            "{path} in '{source}' reads obligation '{name}', which is not declared. Declared "
            "obligations: {known}."
        ).format(path=dotted, source=source, name=rest[0], known=", ".join(declared))
    elif rest[1] not in OBLIGATION_FIELDS:
        yield _(
            "{path} in '{source}' reads field '{field}', which obligations do not have. "
            "Obligation fields: {known}."
        ).format(path=dotted, source=source, field=rest[1], known=", ".join(OBLIGATION_FIELDS))


def check_settled_by_declared(ctx: CheckContext) -> Iterator[Problem]:
    events = events_of(ctx)
    for name, obligation in obligations_of(ctx).items():
        event = obligation["settled_by"]
        if event not in events:
            yield ctx.problem(
                ("obligations", name, "settled_by"),
                _(
                    "obligation '{obligation}' is settled by event '{event}', which is not "
                    "declared. Declare it under events or use one of: {known}."
                ).format(obligation=name, event=event, known=", ".join(events) or "-"),
                at_value=True,
            )
            continue
        yield from _check_amount_field(ctx, name, obligation, event, events[event])


def _check_amount_field(
    ctx: CheckContext, name: str, obligation: dict[str, Any], event: str, spec: dict[str, Any]
) -> Iterator[Problem]:
    amount_field = obligation.get("amount_field", "amount")
    field_spec = spec.get("fields", {}).get(amount_field)
    if field_spec is not None and field_spec["type"] == "money":
        return

    path = ("obligations", name, "amount_field") if "amount_field" in obligation else (
        "obligations", name, "settled_by")
    yield ctx.problem(
        path,
        _(
            "obligation '{obligation}' adds up the field '{field}' of event '{event}', but that "
            "event declares no money field of that name. Add {field}: {{type: money}} under "
            "events.{event}.fields, or set amount_field to one of its money fields."
        ).format(obligation=name, field=amount_field, event=event),
        at_value=True,
    )


def check_obligation_expression_roots(ctx: CheckContext) -> Iterator[Problem]:
    for name, obligation in obligations_of(ctx).items():
        for key in ("amount", "due"):
            try:
                expression = compile_expression(obligation[key])
            except ExpressionError:
                continue  # reported by check_expressions
            for root in sorted(expression.roots - OBLIGATION_EXPRESSION_ROOTS):
                yield ctx.problem(
                    ("obligations", name, key),
                    _(
                        "the {key} of obligation '{obligation}' reads {root}, but it may read "
                        "only data and contract, so it stays fixed while time passes. Compute "
                        "it from contract data."
                    ).format(key=key, obligation=name, root=root),
                    at_value=True,
                )
