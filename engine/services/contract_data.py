"""Contract data: --set parsing and validation against the definition's data schema."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from engine.definition.model import ProcessDefinition
from engine.errors import BadInputError
from engine.i18n import _


def parse_assignments(pairs: tuple[str, ...] | list[str], definition: ProcessDefinition) -> dict[str, Any]:
    """Turn key=value pairs into typed values, using each field's schema type."""
    values: dict[str, Any] = {}
    properties = definition.data_schema.get("properties", {})
    for pair in pairs:
        if "=" not in pair:
            raise BadInputError(
                _("Invalid value for --set: {pair!r}. Use key=value, for example "
                  "--set amount=1200.00.").format(pair=pair)
            )
        key, raw = pair.split("=", 1)
        key = key.strip()
        if key not in properties:
            raise BadInputError(
                _("Unknown data field {field!r} in --set. Fields of process {process}: "
                  "{fields}.").format(field=key, process=definition.process_id,
                                      fields=", ".join(sorted(properties)) or "-")
            )
        values[key] = _typed(key, raw, properties[key])
    return values


def _typed(key: str, raw: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            raise BadInputError(_("Invalid value for --set {field}: {value!r} is not a whole "
                                  "number.").format(field=key, value=raw)) from None
    if kind == "number":
        try:
            number = Decimal(raw)
        except InvalidOperation:
            raise BadInputError(_("Invalid value for --set {field}: {value!r} is not a number.")
                                .format(field=key, value=raw)) from None
        return number
    if kind == "boolean":
        if raw not in ("true", "false"):
            raise BadInputError(_("Invalid value for --set {field}: {value!r}; use true or "
                                  "false.").format(field=key, value=raw))
        return raw == "true"
    return raw


def load_data_file(path: str) -> dict[str, Any]:
    """Read --data FILE (YAML or JSON) with the same safe loader as process files."""
    from engine.definition.yaml_loader import load_yaml_file

    if not Path(path).is_file():
        raise BadInputError(_("Data file {path} not found; check the --data path.").format(path=path))
    document = load_yaml_file(path)
    if not isinstance(document.data, dict):
        raise BadInputError(_("{path}: the data file must hold a mapping of field: value.")
                            .format(path=path))
    return dict(document.data)


def validate_data(data: dict[str, Any], definition: ProcessDefinition, where: str) -> None:
    """Check contract data against the data schema; report every error at once."""
    _reject_fractional_numbers(data, where)
    errors = sorted(data_validator(definition).iter_errors(data),
                    key=lambda e: list(e.absolute_path))
    if not errors:
        return
    lines = []
    for error in errors:
        field = ".".join(str(p) for p in error.absolute_path) or _("(data)")
        lines.append(_("{where}: data field {field}: {message}").format(
            where=where, field=field, message=error.message))
    lines.append(_("Fix the values (--set field=value or --data FILE) so they match the data "
                   "schema of process {process}.").format(process=definition.process_id))
    raise BadInputError("\n".join(lines))


_validators: dict[str, Draft202012Validator] = {}


def data_validator(definition: ProcessDefinition) -> Draft202012Validator:
    """Return the validator of a definition's data schema, built once per version."""
    validator = _validators.get(definition.content_hash)
    if validator is None:
        validator = Draft202012Validator(dict(definition.data_schema),
                                         format_checker=FormatChecker())
        _validators[definition.content_hash] = validator
    return validator


def _reject_fractional_numbers(value: Any, where: str, field: str = "") -> None:
    if isinstance(value, float) or (isinstance(value, Decimal) and value != value.to_integral_value()):
        raise BadInputError(
            _("{where}: data field {field}: the number {value} has a fraction. Whole-number "
              "fields take integers, and money is a quoted decimal string (amount: "
              "\"1200.50\").").format(where=where, field=field or _("(data)"), value=value)
        )
    if isinstance(value, dict):
        for key, item in value.items():
            _reject_fractional_numbers(item, where, f"{field}.{key}" if field else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _reject_fractional_numbers(item, where, f"{field}[{index}]")


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field → [old, new] for every changed field (missing values are null)."""
    changed: dict[str, list[Any]] = {}
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key) or (key in before) != (key in after):
            changed[key] = [before.get(key), after.get(key)]
    return changed
