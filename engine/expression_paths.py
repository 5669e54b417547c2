"""Static scans of CEL source: the variable paths it reads and the floats it passes as money.

A small tokenizer is enough here because CEL has no statements. Every identifier
chain outside a string literal is either a variable path (data.amount, contract.state)
or a function name, and a function name is followed by an opening parenthesis.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

_MACROS = frozenset({"all", "exists", "exists_one", "map", "filter"})
_KEYWORDS = frozenset({"true", "false", "null", "in"})
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMBER = re.compile(r"0[xX][0-9a-fA-F]+[uU]?|[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?[uU]?")
_STRING_PREFIX = re.compile(r"([rR][bB]?|[bB][rR]?)?('''|\"\"\"|'|\")")


def scan_paths(source: str) -> set[str]:
    """Collect the dotted variable paths in `source`, skipping strings and function names.

    Names bound by macros (the `x` in `items.all(x, x > 0)`) are left out, and so is
    any path that starts with one of them.
    """
    chains: list[list[str]] = []
    bound: set[str] = set()
    tokens = list(_tokens(source))
    index = 0
    while index < len(tokens):
        kind, text = tokens[index]
        follows_dot = index > 0 and tokens[index - 1] == ("op", ".")
        if kind != "ident" or follows_dot or text in _KEYWORDS:
            index += 1
            continue
        chain = [text]
        index += 1
        while (
            index + 1 < len(tokens)
            and tokens[index] == ("op", ".")
            and tokens[index + 1][0] == "ident"
        ):
            chain.append(tokens[index + 1][1])
            index += 2
        following = tokens[index][1] if index < len(tokens) else ""
        if following == "(":
            called = chain.pop()
            if called in _MACROS and index + 1 < len(tokens) and tokens[index + 1][0] == "ident":
                bound.add(tokens[index + 1][1])
        if chain:
            chains.append(chain)

    return {".".join(chain) for chain in chains if chain[0] not in bound}


def money_float_literals(source: str) -> list[str]:
    """Return number literals with a fraction or exponent passed directly to a money_ function.

    CEL reads 0.5 as a binary double, so an amount must be written as "0.5" instead.
    """
    found: list[str] = []
    tokens = list(_tokens(source))
    money_depths: list[int] = []  # parenthesis depth of each open money_ call
    depth = 0
    for index, (kind, text) in enumerate(tokens):
        if text == "(":
            depth += 1
            called = tokens[index - 1] if index > 0 else ("op", "")
            if called[0] == "ident" and called[1].startswith("money_"):
                money_depths.append(depth)
        elif text == ")":
            if money_depths and money_depths[-1] == depth:
                money_depths.pop()
            depth -= 1
        elif kind == "number" and money_depths and money_depths[-1] == depth:
            if any(mark in text for mark in ".eE") and not text.lower().startswith("0x"):
                found.append(text)
    return found


def _tokens(source: str) -> Iterator[tuple[str, str]]:
    """Split CEL source into identifier, string, number and operator tokens."""
    position = 0
    while position < len(source):
        char = source[position]
        if char.isspace():
            position += 1
            continue
        string = _STRING_PREFIX.match(source, position)
        if string:
            raw = "r" in (string.group(1) or "").lower()
            position = _skip_string(source, string.end(), string.group(2), raw)
            yield ("string", "")
            continue
        identifier = _IDENTIFIER.match(source, position)
        if identifier:
            position = identifier.end()
            yield ("ident", identifier.group())
            continue
        number = _NUMBER.match(source, position)
        if number:
            position = number.end()
            yield ("number", number.group())
            continue
        position += 1
        yield ("op", char)


def _skip_string(source: str, position: int, quote: str, raw: bool) -> int:
    """Return the index just past the string literal whose body starts at `position`."""
    while position < len(source):
        if not raw and source[position] == "\\":
            position += 2
            continue
        if source.startswith(quote, position):
            return position + len(quote)
        position += 1
    return position
