"""Semantic checks of the data schema and of the CEL expressions that read it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator

from engine.definition.check_context import (
    CEL_IDENTIFIER,
    CEL_RESERVED_WORDS,
    CheckContext,
    invalid_identifier,
)
from engine.definition.obligation_checks import obligation_path_problems
from engine.definition.schema_errors import validate_with_schema
from engine.definition.yaml_loader import DocumentPath
from engine.errors import Problem
from engine.expression_paths import money_float_literals
from engine.expressions import (
    CONTRACT_FIELDS,
    Expression,
    ExpressionError,
    compile_expression,
    compile_guard,
)
from engine.i18n import _

SCALAR_ROOTS = frozenset({"now", "today"})
# NOTE: reserved in KNOWN_ROOTS, but the runtime binds them only once customer credit
# and events exist. Until then a guard reading them could never pass, so it is rejected.
NOT_YET_PROVIDED_ROOTS = frozenset({"customer", "event"})


def check_data_field_names(ctx: CheckContext) -> Iterator[Problem]:
    def walk(schema: Any, path: DocumentPath) -> Iterator[Problem]:
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(properties, dict):
            return
        for name, child in properties.items():
            if not CEL_IDENTIFIER.match(name) or name in CEL_RESERVED_WORDS:
                yield ctx.problem(
                    (*path, "properties", name), invalid_identifier(_("data field"), name)
                )
            yield from walk(child, (*path, "properties", name))

    yield from walk(ctx.data["data"], ("data",))


def check_data_schema_valid(ctx: CheckContext) -> Iterator[Problem]:
    metaschema = Draft202012Validator.META_SCHEMA
    schema_doc = ctx.doc.sub_document(("data",))
    for problem in validate_with_schema(schema_doc, metaschema, ctx.name):
        yield Problem(
            problem.file,
            problem.line,
            problem.column,
            _("the data schema is not a valid JSON Schema: {detail}").format(
                detail=problem.message
            ),
            "data." + problem.path if problem.path else "data",
        )


def _expressions(ctx: CheckContext) -> Iterator[tuple[DocumentPath, str, bool]]:
    """Yield (path, source, is_guard) for every CEL expression in transitions, approvals and
    obligations."""
    for index, transition in enumerate(ctx.transitions):
        if "guard" in transition:
            yield ("transitions", index, "guard"), transition["guard"], True
        for number, action in enumerate(transition.get("actions", [])):
            for field_name, source in action.get("set", {}).items():
                yield ("transitions", index, "actions", number, "set", field_name), source, False
    for name, state in ctx.states.items():
        for index, level in enumerate(state.get("approval", {}).get("levels", [])):
            if "when" in level:
                yield ("states", name, "approval", "levels", index, "when"), level["when"], True
    for name, obligation in ctx.data.get("obligations", {}).items():
        for key in ("amount", "due"):
            yield ("obligations", name, key), obligation[key], False


def check_expressions(ctx: CheckContext) -> Iterator[Problem]:
    for path, source, is_guard in _expressions(ctx):
        try:
            expression = compile_guard(source) if is_guard else compile_expression(source)
        except ExpressionError as exc:
            yield ctx.problem(path, exc.message, at_value=True)
            continue
        for message in _unknown_paths(ctx, expression):
            yield ctx.problem(path, message, at_value=True)
        for literal in money_float_literals(source):
            yield ctx.problem(
                path,
                _(
                    "amount {literal} in '{source}' is a floating-point number. Write it as "
                    'the decimal string "{literal}".'
                ).format(literal=literal, source=source),
                at_value=True,
            )


def _unknown_paths(ctx: CheckContext, expression: Expression) -> Iterator[str]:
    for dotted in sorted(expression.paths):
        root, *rest = dotted.split(".")
        if root == "data" and rest and not _declared_in_schema(ctx.data["data"], rest):
            yield _(
                "field {path} in '{source}' is not declared in the data schema. Declare "
                "it under data.properties or fix the name."
            ).format(path=dotted, source=expression.source)
        elif root == "contract" and rest and (len(rest) > 1 or rest[0] not in CONTRACT_FIELDS):
            yield _("contract has no field {path}. Contract fields: {known}.").format(
                path=dotted, known=", ".join(sorted(CONTRACT_FIELDS))
            )
        elif root in SCALAR_ROOTS and rest:
            yield _("{root} is a date or time string and has no field {path}.").format(
                root=root, path=dotted
            )
        elif root == "obligations":
            yield from obligation_path_problems(ctx, dotted, expression.source)
        elif root in NOT_YET_PROVIDED_ROOTS:
            yield _(
                "{path} reads {root}, which the engine does not provide to expressions yet. "
                "Use data or contract fields instead."
            ).format(path=dotted, root=root)


def _declared_in_schema(schema: Any, segments: list[str]) -> bool:
    for segment in segments:
        properties = schema.get("properties") if isinstance(schema, dict) else None
        if not isinstance(properties, dict) or segment not in properties:
            return False
        schema = properties[segment]
    return True


def check_set_fields_declared(ctx: CheckContext) -> Iterator[Problem]:
    declared = ctx.data["data"].get("properties", {})
    for index, transition in enumerate(ctx.transitions):
        for number, action in enumerate(transition.get("actions", [])):
            for field_name in action.get("set", {}):
                if field_name not in declared:
                    yield ctx.problem(
                        ("transitions", index, "actions", number, "set", field_name),
                        _(
                            "set action names data field '{field}', which the data schema does "
                            "not declare. Add it under data.properties."
                        ).format(field=field_name),
                    )
