"""JSON for stored data: Decimals survive, floats never appear."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if value == value.to_integral_value() and "E" not in str(value):
            return int(value)
        return str(value)
    raise TypeError(f"cannot store {type(value).__name__} as JSON")


def dumps(value: Any) -> str:
    """Canonical compact JSON: sorted keys, UTF-8 text, no floats."""
    _reject_floats(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=_default)


def loads(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def _reject_floats(value: Any) -> None:
    if isinstance(value, float):
        raise TypeError("floats are not stored; use a decimal string")
    if isinstance(value, dict):
        for item in value.values():
            _reject_floats(item)
    elif isinstance(value, list):
        for item in value:
            _reject_floats(item)
