"""Tests for strict YAML loading: scalar rules, limits, positions and schema problems."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from engine.definition.yaml_loader import (
    DEFAULT_MAX_BYTES,
    load_yaml_file,
    load_yaml_text,
    validate_with_schema,
)
from engine.errors import DefinitionError, ExitCode, NotFoundError
from tests.definition_helpers import problems_of


def only_problem(text: str | bytes, **limits: int) -> str:
    """Load `text` as t.yaml, expect exactly one problem and return it as file:line:col: msg."""
    problems = problems_of(load_yaml_text, text, "t.yaml", **limits)
    assert len(problems) == 1, [str(p) for p in problems]
    return str(problems[0])


# --- scalars ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "loaded"),
    [
        ("yes", "yes"),
        ("no", "no"),
        ("on", "on"),
        ("off", "off"),
        ("True", "True"),
        ("0755", "0755"),
        ("007", "007"),
        ("2026-03-01", "2026-03-01"),
        ("2026-03-01T08:00:00Z", "2026-03-01T08:00:00Z"),
        ("1e3", "1e3"),
        (".5", ".5"),
        ("0x1F", "0x1F"),
        (".inf", ".inf"),
        ("'1.5'", "1.5"),
        ("true", True),
        ("false", False),
        ("null", None),
        ("~", None),
        ("", None),
        ("0", 0),
        ("-3", -3),
        ("1250", 1250),
    ],
)
def test_scalar_loads_as_written(written: str, loaded: object) -> None:
    data = load_yaml_text(f"value: {written}\n", "t.yaml").data
    assert data["value"] == loaded
    assert type(data["value"]) is type(loaded)


@pytest.mark.parametrize("written", ["1.5", "0.0", "-12.75", "1250.00"])
def test_decimal_numeral_loads_as_decimal(written: str) -> None:
    value = load_yaml_text(f"amount: {written}\n", "t.yaml").data["amount"]
    assert isinstance(value, Decimal)
    assert value == Decimal(written)
    assert str(value) == written


def test_mapping_keys_are_strings() -> None:
    data = load_yaml_text("1: a\ntrue: b\nno: c\n", "t.yaml").data
    assert data == {"1": "a", "true": "b", "no": "c"}


def test_str_tag_is_allowed() -> None:
    assert load_yaml_text("mode: !!str 0755\n", "t.yaml").data == {"mode": "0755"}


def test_empty_document_is_none() -> None:
    assert load_yaml_text("", "t.yaml").data is None


# --- duplicate keys and tags -------------------------------------------------


def test_duplicate_key_reports_second_line() -> None:
    text = "a: 1\nb: 2\na: 3\n"
    assert only_problem(text) == (
        "t.yaml:3:1: duplicate key 'a' (first set at line 1). Remove or rename one of them."
    )


def test_duplicate_key_in_nested_mapping() -> None:
    text = "states:\n  draft: {}\n  approval: {}\n  draft: {}\n"
    assert only_problem(text).startswith("t.yaml:4:3: duplicate key 'draft' (first set at line 2).")


def test_duplicate_key_through_merge_key() -> None:
    text = "base: &base {x: 1}\nitem:\n  <<: *base\n  x: 2\n"
    assert only_problem(text) == (
        "t.yaml:4:3: duplicate key 'x' through the merge key '<<' (first set at line 3). "
        "Remove or rename one of them."
    )


def test_duplicate_key_between_two_merges() -> None:
    text = "one: &one {x: 1}\ntwo: &two {x: 2}\nitem:\n  <<: [*one, *two]\n"
    assert only_problem(text).startswith(
        "t.yaml:4:3: duplicate key 'x' through the merge key '<<' (first set at line 4)."
    )


def test_merge_key_without_duplicates_merges() -> None:
    text = "base: &base {x: 1, y: 2}\nitem:\n  <<: *base\n  z: 3\n"
    assert load_yaml_text(text, "t.yaml").data["item"] == {"x": 1, "y": 2, "z": 3}


@pytest.mark.parametrize(
    ("value", "tag"),
    [
        ("!!python/object/apply:os.system ['true']", "!!python/object/apply:os.system"),
        ("!!python/name:os.system", "!!python/name:os.system"),
        ("!custom value", "!custom"),
        ("!!set {x, y}", "!!set"),
        ("!!timestamp 2026-03-01", "!!timestamp"),
        ("!!binary aGk=", "!!binary"),
    ],
)
def test_object_constructing_tag_is_rejected(value: str, tag: str) -> None:
    text = f"name: ok\naction: {value}\n"
    assert only_problem(text) == (
        f"t.yaml:2:9: YAML tag '{tag}' is not allowed: Lvyue files hold plain data only. "
        "Remove the tag."
    )


def test_int_tag_on_text_is_rejected() -> None:
    assert only_problem("a: 1\nb: !!int twelve\n").startswith(
        "t.yaml:2:4: value 'twelve' does not fit its tag '!!int'."
    )


def test_every_construction_problem_is_reported() -> None:
    text = "a: 1\na: 2\nb: !!python/none ''\n"
    problems = problems_of(load_yaml_text, text, "t.yaml")
    assert [(p.line, p.column) for p in problems] == [(2, 1), (3, 4)]


# --- limits ------------------------------------------------------------------


def test_oversize_file_reports_crossing_line() -> None:
    line = "key_" + "x" * 59 + ": 1\n"  # 67 bytes
    text = line * (DEFAULT_MAX_BYTES // len(line) + 10)
    expected_line = DEFAULT_MAX_BYTES // len(line) + 1
    message = only_problem(text)
    assert message == (
        f"t.yaml:{expected_line}: file is {len(text)} bytes, over the limit of "
        f"{DEFAULT_MAX_BYTES} bytes, which it passes on this line. Make the file smaller."
    )


def test_size_limit_is_a_parameter() -> None:
    text = "a: 1\n" * 10 + "b: 2\n"
    assert only_problem(text, max_bytes=52).startswith("t.yaml:11: file is 55 bytes")


def test_size_limit_counts_bytes_not_characters() -> None:
    text = "a: 合同\n"  # 3 ASCII bytes, 6 bytes for the two Chinese characters, a newline
    assert only_problem(text, max_bytes=9).startswith("t.yaml:1: file is 10 bytes")


BILLION_LAUGHS = """\
a: &a [x, x, x, x, x, x, x, x, x, x]
b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]
c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]
d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]
e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]
f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]
g: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]
"""


def test_alias_bomb_rejected_at_alias() -> None:
    # Lines a-d expand to 12,349 nodes with the root; e adds 2, then 11,111 per *d,
    # so the 8th *d on line 5 (column 36) passes 100,000.
    assert only_problem(BILLION_LAUGHS) == (
        "t.yaml:5:36: document has more than 100000 nodes once aliases are expanded. "
        "Use fewer aliases or split the file."
    )


def test_node_limit_is_a_parameter() -> None:
    text = "a: &a [x, x, x]\nb: [*a, *a]\n"
    # Line 1 brings 6 nodes (root, key, list of three), key b and its list make 8, and
    # each *a adds 4: 12 at the first, 16 at the second (column 9).
    assert only_problem(text, max_nodes=12).startswith("t.yaml:2:9: document has more than 12")


def test_deep_block_nesting_is_rejected() -> None:
    text = "".join("  " * level + f"k{level}:\n" for level in range(120)) + "  " * 120 + "end\n"
    # The root mapping is level 1, so key k99 on line 100 is the 101st level.
    assert only_problem(text) == (
        "t.yaml:100:199: nesting is deeper than 100 levels. Flatten the structure."
    )


def test_deep_flow_nesting_is_rejected() -> None:
    text = "x: " + "[" * 150 + "]" * 150 + "\n"
    assert only_problem(text).startswith("t.yaml:1:103: nesting is deeper than 100 levels.")


def test_nesting_at_limit_is_accepted() -> None:
    text = "x: " + "[" * 99 + "]" * 99 + "\n"  # root mapping + 99 lists = 100 levels
    assert load_yaml_text(text, "t.yaml").data is not None


def test_depth_counts_expanded_aliases() -> None:
    text = "a: &a " + "[" * 60 + "]" * 60 + "\nb: " + "[" * 50 + "*a" + "]" * 50 + "\n"
    assert only_problem(text).startswith("t.yaml:2:54: nesting is deeper than 100 levels.")


def test_recursive_sequence_alias_is_rejected() -> None:
    text = "name: x\nloop: &loop\n  - *loop\n"
    assert only_problem(text) == (
        "t.yaml:3:5: alias *loop refers to a node that contains it (an alias cycle). "
        "Replace the alias with the values it should repeat."
    )


def test_recursive_mapping_alias_is_rejected() -> None:
    assert only_problem("a: &a\n  b:\n    c: *a\n").startswith("t.yaml:3:8: alias *a refers")


def test_limit_error_exit_code() -> None:
    with pytest.raises(DefinitionError) as caught:
        load_yaml_text(BILLION_LAUGHS, "t.yaml")
    assert caught.value.exit_code == ExitCode.BAD_INPUT


# --- syntax and encoding -------------------------------------------------------


def test_syntax_error_has_line_and_column() -> None:
    assert only_problem("a: [1, 2\nb: 3\n") == (
        "t.yaml:2:2: invalid YAML: expected ',' or ']', but got ':' (while parsing a flow "
        "sequence at line 1). Check indentation, colons and quotes here."
    )


def test_second_document_is_rejected() -> None:
    assert only_problem("a: 1\n---\nb: 2\n") == (
        "t.yaml:2:1: the file holds more than one YAML document. Keep one and remove the "
        "'---' line that starts the next."
    )


def test_invalid_utf8_reports_line() -> None:
    assert only_problem(b"a: 1\nb: caf\xe9\n") == (
        "t.yaml:2: the file is not valid UTF-8 (byte 0xe9). Save it as UTF-8."
    )


def test_control_character_reports_line() -> None:
    assert only_problem("a: 1\nb: \x07\n") == (
        "t.yaml:2: character U+0007 is not allowed in YAML. Remove it."
    )


def test_utf8_bom_is_accepted() -> None:
    assert load_yaml_text("\ufeffa: 合同\n".encode(), "t.yaml").data == {"a": "合同"}


# --- positions and files -----------------------------------------------------------


def test_locate_finds_keys_and_items() -> None:
    text = "states:\n  draft:\n    label: {en: Draft}\nlist:\n  - one\n  - {k: v}\n"
    doc = load_yaml_text(text, "t.yaml")
    assert doc.locate(("states", "draft")) == (2, 3)
    assert doc.locate(("states", "draft", "label", "en")) == (3, 13)
    assert doc.locate(("list", 1)) == (6, 5)
    assert doc.locate(("list", 1, "k")) == (6, 6)
    assert doc.locate_value(("states", "draft")) == (3, 5)


def test_locate_unknown_path_uses_nearest_parent() -> None:
    doc = load_yaml_text("a:\n  b: 1\n", "t.yaml")
    assert doc.locate(("a", "b", "missing")) == (2, 3)
    assert doc.locate(("nothing",)) == (1, 1)


def test_load_file_names_path(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("a: 1\na: 2\n", encoding="utf-8")
    problems = problems_of(load_yaml_file, path)
    assert str(problems[0]).startswith(f"{path}:2:1: duplicate key 'a'")


def test_load_yaml_file_keeps_bytes(tmp_path: Path) -> None:
    path = tmp_path / "ok.yaml"
    path.write_bytes(b"a: 1\n")
    doc = load_yaml_file(path)
    assert doc.raw == b"a: 1\n"
    assert doc.data == {"a": 1}


def test_load_yaml_file_missing_is_not_found(tmp_path: Path) -> None:
    with pytest.raises(NotFoundError) as caught:
        load_yaml_file(tmp_path / "nope.yaml")
    assert caught.value.message == f"file {tmp_path / 'nope.yaml'} not found. Check the path."


def test_load_yaml_file_oversize(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("a: 1\n" * 30, encoding="utf-8")
    problems = problems_of(load_yaml_file, path, max_bytes=100)
    assert str(problems[0]).startswith(f"{path}:21: file is 150 bytes, over the limit of 100")


# --- JSON Schema problems ------------------------------------------------------------

SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "size"],
    "properties": {
        "name": {"type": "string"},
        "size": {"type": "integer", "minimum": 1},
        "color": {"enum": ["red", "blue"]},
        "tags": {"type": "array", "items": {"type": "string"}},
    },
}


def test_schema_reports_every_error_located() -> None:
    text = "name: box\nsize: 0\ncolour: red\ntags: [a, 5]\n"
    doc = load_yaml_text(text, "t.yaml")
    problems = validate_with_schema(doc, SCHEMA, "t.yaml")
    assert [str(p) for p in problems] == [
        "t.yaml:2:1: size is 0, but must be at least 1.",
        (
            "t.yaml:3:1: unknown key 'colour' in the file's top level. Did you mean 'color'? "
            "Allowed keys: color, name, size, tags."
        ),
        "t.yaml:4:11: tags[1] must be a string, not 5 (integer).",
    ]


def test_schema_missing_keys_are_separate_problems() -> None:
    doc = load_yaml_text("color: red\n", "t.yaml")
    messages = [p.message for p in validate_with_schema(doc, SCHEMA, "t.yaml")]
    assert messages == [
        "missing key 'name' in the file's top level. Add it.",
        "missing key 'size' in the file's top level. Add it.",
    ]


def test_schema_problem_carries_path() -> None:
    doc = load_yaml_text("name: box\nsize: 2\ncolor: green\n", "t.yaml")
    (problem,) = validate_with_schema(doc, SCHEMA, "t.yaml")
    assert problem.path == "color"
    assert problem.message == "color is 'green', but must be one of: 'red', 'blue'."
    assert (problem.line, problem.column) == (3, 1)
