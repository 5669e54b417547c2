"""JSON Schema validation of a loaded YAML document, reported as located, readable problems."""

from __future__ import annotations

import ast
import difflib
import re
from collections.abc import Iterator, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.errors import Problem
from engine.i18n import _

if TYPE_CHECKING:
    from engine.definition.yaml_loader import DocumentPath, LoadedDocument

_TYPE_NAMES = {
    "object": "mapping",
    "array": "list",
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "null": "null",
}


def _expected_type(name: str) -> str:
    """Name a JSON Schema type in YAML terms, with its article."""
    names = {
        "object": _("a mapping"),
        "array": _("a list"),
        "string": _("a string"),
        "integer": _("an integer"),
        "number": _("a number"),
        "boolean": _("true or false"),
        "null": _("null"),
    }
    return names.get(name, name)


def validate_with_schema(doc: LoadedDocument, schema: dict[str, Any], name: str) -> list[Problem]:
    """Validate `doc.data` against `schema` and return every error, sorted by position.

    Each problem is located at the failing value (at the key itself for an
    unknown key) and states what is wrong and how to fix it.
    """
    validator = Draft202012Validator(schema)
    problems: dict[tuple[Any, ...], Problem] = {}
    for error in validator.iter_errors(doc.data):
        for path, message in _describe(error):
            line, column = doc.locate(path)
            problem = Problem(name, line, column, message, format_path(path))
            problems.setdefault((line, column, message), problem)
    return sorted(problems.values(), key=lambda p: (p.line or 0, p.column or 0, p.message))


def _schema(error: ValidationError) -> Mapping[str, Any]:
    """Return the subschema that failed, which jsonschema types loosely (it may be a bool)."""
    return error.schema if isinstance(error.schema, Mapping) else {}


def _instance(error: ValidationError) -> Any:
    return error.instance


def _expected(error: ValidationError) -> Any:
    """Return the value of the failing keyword, such as the list of `required` keys."""
    return error.validator_value


def _describe(error: ValidationError) -> Iterator[tuple[DocumentPath, str]]:
    """Yield (path, message) pairs for one jsonschema error."""
    path: DocumentPath = tuple(error.absolute_path)
    if "propertyNames" in error.absolute_schema_path and isinstance(_instance(error), str):
        yield (*path, _instance(error)), _invalid_name(error, path)
        return

    describe = _DESCRIBERS.get(str(error.validator))
    if describe is not None:
        yield from describe(error, path)
        return
    yield path, _("{place}: {detail}").format(place=_place(path), detail=error.message)


def _unknown_keys(error: ValidationError, path: DocumentPath) -> Iterator[tuple[DocumentPath, str]]:
    allowed = sorted(_schema(error).get("properties", {}))
    patterns = _schema(error).get("patternProperties", {})
    for key in _instance(error):
        if key in allowed or any(re.search(p, key) for p in patterns):
            continue
        suggestion = difflib.get_close_matches(str(key), allowed, n=1)
        if suggestion:
            message = _(
                "unknown key '{key}' in {place}. Did you mean '{suggestion}'? "
                "Allowed keys: {allowed}."
            )
        else:
            message = _("unknown key '{key}' in {place}. Allowed keys: {allowed}.")
        yield (
            (*path, key),
            message.format(
                key=key,
                place=_place(path),
                suggestion=suggestion[0] if suggestion else "",
                allowed=", ".join(allowed),
            ),
        )


def _missing_key(error: ValidationError, path: DocumentPath) -> Iterator[tuple[DocumentPath, str]]:
    key = ast.literal_eval(error.message.removesuffix(" is a required property"))
    yield path, _("missing key '{key}' in {place}. Add it.").format(key=key, place=_place(path))


def _wrong_type(error: ValidationError, path: DocumentPath) -> Iterator[tuple[DocumentPath, str]]:
    expected = _expected(error)
    names = [expected] if isinstance(expected, str) else list(expected)
    yield (
        path,
        _("{place} must be {expected}, not {value}.").format(
            place=_place(path),
            expected=_(" or ").join(_expected_type(n) for n in names),
            value=_show(_instance(error)),
        ),
    )


def _not_in_enum(error: ValidationError, path: DocumentPath) -> Iterator[tuple[DocumentPath, str]]:
    choices = _expected(error) if error.validator == "enum" else [_expected(error)]
    yield (
        path,
        _("{place} is {value}, but must be one of: {choices}.").format(
            place=_place(path),
            value=_show(_instance(error), typed=False),
            choices=", ".join(_show(choice, typed=False) for choice in choices),
        ),
    )


def _no_pattern_match(
    error: ValidationError, path: DocumentPath
) -> Iterator[tuple[DocumentPath, str]]:
    hint = _schema(error).get("description") or _("text matching {pattern}").format(
        pattern=_expected(error)
    )
    yield (
        path,
        _("{place} is {value}, which is not valid. Expected: {hint}").format(
            place=_place(path), value=_show(_instance(error), typed=False), hint=hint
        ),
    )


def _invalid_name(error: ValidationError, path: DocumentPath) -> str:
    hint = _schema(error).get("description") or error.message
    return _("name '{name}' in {place} is not valid. Expected: {hint}").format(
        name=_instance(error), place=_place(path), hint=hint
    )


def _out_of_range(error: ValidationError, path: DocumentPath) -> Iterator[tuple[DocumentPath, str]]:
    bounds = {
        "minimum": _("at least {limit}"),
        "maximum": _("at most {limit}"),
        "exclusiveMinimum": _("greater than {limit}"),
        "exclusiveMaximum": _("less than {limit}"),
    }
    yield (
        path,
        _("{place} is {value}, but must be {bound}.").format(
            place=_place(path),
            value=_show(_instance(error), typed=False),
            bound=bounds[str(error.validator)].format(limit=_expected(error)),
        ),
    )


def _wrong_size(error: ValidationError, path: DocumentPath) -> Iterator[tuple[DocumentPath, str]]:
    limit = _expected(error)
    messages = {
        "minItems": _("{place} must list at least {limit} item(s)."),
        "maxItems": _("{place} must list at most {limit} item(s)."),
        "minLength": _("{place} must be at least {limit} character(s) long."),
        "maxLength": _("{place} must be at most {limit} character(s) long."),
        "minProperties": _("{place} must have at least {limit} key(s)."),
        "maxProperties": _("{place} must have at most {limit} key(s), but has {count}: {keys}."),
        "uniqueItems": _("{place} lists the same item more than once. Remove the repeats."),
    }
    keys = ", ".join(str(k) for k in _instance(error)) if isinstance(_instance(error), dict) else ""
    yield (
        path,
        messages[str(error.validator)].format(
            place=_place(path), limit=limit, count=len(_instance(error)), keys=keys
        ),
    )


def _no_alternative(
    error: ValidationError, path: DocumentPath
) -> Iterator[tuple[DocumentPath, str]]:
    """Explain an anyOf/oneOf failure through the alternative whose type matched."""
    branches: dict[Any, list[ValidationError]] = {}
    for sub in error.context or []:
        branches.setdefault(sub.relative_schema_path[0], []).append(sub)

    type_matched = [
        errors
        for errors in branches.values()
        if not any(e.validator == "type" and not e.relative_path for e in errors)
    ]
    if type_matched:
        for sub in type_matched[0]:
            yield from _describe(sub)
        return

    expected = [
        _expected_type(name)
        for errors in branches.values()
        for e in errors
        if e.validator == "type"
        for name in ([_expected(e)] if isinstance(_expected(e), str) else _expected(e))
    ]
    yield (
        path,
        _("{place} must be {expected}, not {value}.").format(
            place=_place(path),
            expected=_(" or ").join(dict.fromkeys(expected)),
            value=_show(_instance(error)),
        ),
    )


_DESCRIBERS = {
    "additionalProperties": _unknown_keys,
    "unevaluatedProperties": _unknown_keys,
    "required": _missing_key,
    "type": _wrong_type,
    "enum": _not_in_enum,
    "const": _not_in_enum,
    "pattern": _no_pattern_match,
    "minimum": _out_of_range,
    "maximum": _out_of_range,
    "exclusiveMinimum": _out_of_range,
    "exclusiveMaximum": _out_of_range,
    "minItems": _wrong_size,
    "maxItems": _wrong_size,
    "minLength": _wrong_size,
    "maxLength": _wrong_size,
    "minProperties": _wrong_size,
    "maxProperties": _wrong_size,
    "uniqueItems": _wrong_size,
    "anyOf": _no_alternative,
    "oneOf": _no_alternative,
}


def format_path(path: DocumentPath) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif text:
            text += f".{part}"
        else:
            text = str(part)
    return text


def _place(path: DocumentPath) -> str:
    return format_path(path) or _("the file's top level")


def _show(value: Any, typed: bool = True) -> str:
    """Write a value the way it appears in YAML, with its type when `typed`."""
    if isinstance(value, dict):
        return _("a mapping")
    if isinstance(value, list):
        return _("a list")
    if value is None:
        return "null"
    if isinstance(value, bool):
        text, kind = ("true" if value else "false"), "boolean"
    elif isinstance(value, int):
        text, kind = str(value), "integer"
    elif isinstance(value, (Decimal, float)):
        text, kind = str(value), "number"
    else:
        text, kind = f"'{value}'", "string"
    return f"{text} ({_TYPE_NAMES[kind]})" if typed else text
