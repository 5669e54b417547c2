"""Tests for CEL expressions: compiling, name checks, helper functions and evaluation."""

from __future__ import annotations

from decimal import Decimal

import pytest

from engine.errors import ExitCode
from engine.expression_paths import money_float_literals
from engine.expressions import (
    FUNCTIONS,
    KNOWN_ROOTS,
    EvaluationError,
    Expression,
    ExpressionSyntaxError,
    Guard,
    GuardEvaluationError,
    UnknownNameError,
    compile_expression,
    compile_guard,
    evaluate,
    evaluate_guard,
)

# --- compiling and paths -------------------------------------------------------


def test_guard_is_an_expression() -> None:
    guard = compile_guard('money_gt(data.amount, "0")')
    assert isinstance(guard, Guard)
    assert isinstance(guard, Expression)
    assert guard.source == 'money_gt(data.amount, "0")'


def test_paths_skip_function_names() -> None:
    expr = compile_expression('money_gt(data.amount, "0") && size(data.items) > 0')
    assert expr.paths == {"data.amount", "data.items"}


def test_paths_skip_string_literals() -> None:
    expr = compile_expression("""data.kind == "data.fake" || data.note == 'x.y' || r"a\\" != ''""")
    assert expr.paths == {"data.kind", "data.note"}


def test_paths_skip_triple_quoted_strings() -> None:
    expr = compile_expression('data.a == """contract.state "quoted" """')
    assert expr.paths == {"data.a"}


def test_paths_keep_method_receiver() -> None:
    expr = compile_expression('data.customer.name.startsWith("A") && contract.state == "draft"')
    assert expr.paths == {"data.customer.name", "contract.state"}


def test_paths_leave_out_macro_variables() -> None:
    expr = compile_expression("data.lines.all(line, line.qty > 0) && today != ''")
    assert expr.paths == {"data.lines", "today"}
    assert expr.roots == {"data", "today"}


def test_paths_include_has_argument() -> None:
    assert compile_expression("has(data.party.name)").paths == {"data.party.name"}


def test_paths_stop_at_index_access() -> None:
    assert compile_expression('data.lines[0].qty > 1 && data["x"] == 1').paths == {
        "data.lines",
        "data",
    }


def test_keywords_are_not_paths() -> None:
    expr = compile_expression('"a" in data.tags && data.flag == true && data.x != null')
    assert expr.paths == {"data.tags", "data.flag", "data.x"}


def test_known_roots() -> None:
    assert KNOWN_ROOTS == {
        "data", "contract", "now", "today", "obligations", "customer", "event"
    }  # fmt: skip


def test_expressions_compare_by_source() -> None:
    assert compile_guard("data.a == 1") == compile_guard("data.a == 1")


@pytest.mark.parametrize(
    ("source", "literals"),
    [
        ("money_gt(data.amount, 0.5)", ["0.5"]),
        ("money_ge(money_add(data.a, 1e3), 2.50)", ["1e3", "2.50"]),
        ('money_gt(data.amount, "0.5") && data.rate > 0.5', []),
        ("money_gt(data.amount, size([1.5]))", []),
        ("money_eq(data.amount, 10)", []),
    ],
)
def test_money_float_literals(source: str, literals: list[str]) -> None:
    assert money_float_literals(source) == literals


# --- compile errors -------------------------------------------------------------


def test_syntax_error_names_column() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_guard("data.amount >")
    assert caught.value.message == (
        "invalid CEL expression 'data.amount >' at column 14: the expression ends too early"
    )
    assert caught.value.column == 14
    assert caught.value.exit_code == ExitCode.BAD_INPUT


def test_syntax_error_unclosed_quote() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_guard('data.currency == "CNY')
    assert caught.value.message == (
        "invalid CEL expression 'data.currency == \"CNY' at column 18: "
        "unrecognized text '\"CNY' (is a quote missing?)"
    )


def test_syntax_error_extra_token() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_guard("data.a data.b")
    assert (
        caught.value.message
        == "invalid CEL expression 'data.a data.b' at column 8: unexpected 'data'"
    )


def test_syntax_error_on_second_line() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_guard("data.a == 1 &&\n  )")
    assert "at line 2, column 3" in caught.value.message


def test_empty_expression_is_rejected() -> None:
    with pytest.raises(ExpressionSyntaxError) as caught:
        compile_guard("   ")
    assert caught.value.message == (
        'expression is empty. Write a CEL expression, for example data.amount != "".'
    )


def test_unknown_function_is_rejected() -> None:
    with pytest.raises(UnknownNameError) as caught:
        compile_guard("money_gte(data.amount, '5')")
    assert caught.value.message == (
        "expression 'money_gte(data.amount, '5')' calls unknown function money_gte. "
        "Available functions: add_days, add_working_days, date_of, days_between, money_add, "
        "money_eq, money_ge, money_gt, money_le, money_lt, money_sub."
    )


def test_unknown_method_is_rejected() -> None:
    with pytest.raises(UnknownNameError):
        compile_guard("data.name.lowerAscii() == 'a'")


def test_unknown_root_is_rejected() -> None:
    with pytest.raises(UnknownNameError) as caught:
        compile_guard("amount > 5")
    assert caught.value.message == (
        "expression 'amount > 5' reads unknown variable amount. Start every name with one of: "
        "contract, customer, data, event, now, obligations, today."
    )


@pytest.mark.parametrize(
    "source",
    [
        "size(data.items) > 0 && has(data.x)",
        "int(data.n) + 1 > uint(2) && double(data.n) > 0.5",
        "string(data.n).matches('^[0-9]+$') && data.s.contains('a')",
        "data.s.startsWith('a') && data.s.endsWith('b')",
        "data.l.exists(v, v > 1) && data.l.all(v, v > 0) && data.l.exists_one(v, v == 2)",
        "data.l.map(v, v * 2).filter(v, v > 2).size() > 0",
        "timestamp(now) > timestamp('2026-01-01T00:00:00Z') - duration('24h')",
        "timestamp(now).getFullYear() == 2026",
        "data.a ? !data.b : -data.c < 0 || data.d % 2 == 0",
    ],
)
def test_builtins_and_operators_are_allowed(source: str) -> None:
    compile_guard(source)


def test_functions_registry_can_grow() -> None:
    FUNCTIONS["always_true"] = lambda: True
    try:
        assert evaluate_guard(compile_guard("always_true()"), {}) is True
    finally:
        del FUNCTIONS["always_true"]


# --- money and date functions ------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('money_gt("1000000.01", "1000000")', True),
        ('money_gt("0.10", "0.1")', False),
        ('money_ge("0.10", "0.1")', True),
        ('money_lt("-1", 0)', True),
        ('money_le(5, "5.00")', True),
        ('money_eq("0.30", money_add("0.1", "0.2"))', True),
        ('money_eq(data.amount, "1250.5")', True),
    ],
)
def test_money_comparisons(source: str, expected: bool) -> None:
    assert evaluate_guard(compile_guard(source), {"data": {"amount": "1250.50"}}) is expected


def test_money_add_and_sub_return_decimal_strings() -> None:
    assert evaluate(compile_expression('money_add("0.1", "0.2")'), {}) == "0.3"
    assert evaluate(compile_expression('money_sub("100.00", 1)'), {}) == "99.00"


def test_money_rejects_float() -> None:
    with pytest.raises(GuardEvaluationError) as caught:
        evaluate_guard(compile_guard("money_gt(data.amount, 0.5)"), {"data": {"amount": "1"}})
    assert caught.value.message == (
        "guard 'money_gt(data.amount, 0.5)' failed: money_gt() argument 2 must be an amount "
        'written as a decimal string such as "1250.00" or an integer, not 0.5 (double)'
    )
    assert caught.value.exit_code == ExitCode.REFUSED


@pytest.mark.parametrize("amount", ["1e3", "12,50", " 5", "NaN", "", "Infinity"])
def test_money_rejects_bad_strings(amount: str) -> None:
    with pytest.raises(GuardEvaluationError) as caught:
        evaluate_guard(compile_guard('money_gt(data.amount, "0")'), {"data": {"amount": amount}})
    assert "argument 1 must be an amount written as a decimal string" in caught.value.message
    assert caught.value.message.endswith(f'not "{amount}" (string)')


def test_money_rejects_bool_and_null() -> None:
    with pytest.raises(GuardEvaluationError, match=r"not true \(bool\)$"):
        evaluate_guard(compile_guard('money_gt(true, "0")'), {})
    with pytest.raises(GuardEvaluationError, match=r"or an integer, not null$"):
        evaluate_guard(compile_guard('money_gt(data.a, "0")'), {"data": {"a": None}})


def test_decimal_variables_stay_exact() -> None:
    variables = {"data": {"amount": Decimal("0.30")}}
    assert evaluate_guard(
        compile_guard('money_eq(data.amount, money_add("0.1", "0.2"))'), variables
    )
    assert evaluate(compile_expression("data.amount"), variables) == "0.30"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('add_days("2026-02-27", 2)', "2026-03-01"),
        ('add_days("2026-03-01", -1)', "2026-02-28"),
        ('add_days("2024-02-28", 1)', "2024-02-29"),
        ('days_between("2026-03-01", "2026-03-31")', 30),
        ('days_between("2026-03-31", "2026-03-01")', -30),
        ('date_of("2026-03-01T23:30:00Z")', "2026-03-01"),
        ('date_of("2026-03-02T07:30:00+08:00")', "2026-03-02"),
        ('date_of(timestamp("2026-03-01T08:00:00Z"))', "2026-03-01"),
    ],
)
def test_date_functions(source: str, expected: object) -> None:
    assert evaluate(compile_expression(source), {}) == expected


def test_add_days_from_data() -> None:
    expr = compile_expression("add_days(data.signed_on, data.payment_terms_days)")
    variables = {"data": {"signed_on": "2026-01-31", "payment_terms_days": 30}}
    assert evaluate(expr, variables) == "2026-03-02"


@pytest.mark.parametrize(
    ("source", "detail"),
    [
        (
            'add_days("2026/03/01", 1)',
            (
                "add_days() argument 1 must be a date written as "
                'YYYY-MM-DD, not "2026/03/01" (string)'
            ),
        ),
        (
            'add_days("2026-02-30", 1)',
            (
                "add_days() argument 1 must be a date written as "
                'YYYY-MM-DD, not "2026-02-30" (string)'
            ),
        ),
        (
            'add_days("2026-03-01", "1")',
            ('add_days() argument 2 must be a whole number of days, not "1" (string)'),
        ),
        (
            'add_days("9999-12-31", 1)',
            ("add_days(9999-12-31, 1) leaves the calendar range of years 1 to 9999"),
        ),
        (
            'days_between("2026-03-01", 5)',
            ("days_between() argument 2 must be a date written as YYYY-MM-DD, not 5 (int)"),
        ),
        (
            'date_of("2026-03-01")',
            (
                "date_of() argument 1 must be a timestamp such as "
                '2026-03-01T08:00:00Z, not "2026-03-01" (string)'
            ),
        ),
    ],
)
def test_date_function_errors(source: str, detail: str) -> None:
    with pytest.raises(EvaluationError) as caught:
        evaluate(compile_expression(source), {})
    assert caught.value.message == f"expression '{source}' failed: {detail}"
    assert not isinstance(caught.value, GuardEvaluationError)


def test_function_errors_are_not_logged(caplog: pytest.LogCaptureFixture) -> None:
    with pytest.raises(GuardEvaluationError):
        evaluate_guard(compile_guard('money_gt("x", "0")'), {})
    assert [r for r in caplog.records if r.name == "cel"] == []


# --- evaluation errors ----------------------------------------------------------------


def test_missing_data_field_names_dotted_path() -> None:
    guard = compile_guard('money_gt(data.amount, "0")')
    with pytest.raises(GuardEvaluationError) as caught:
        evaluate_guard(guard, {"data": {}})
    assert caught.value.message == (
        "guard 'money_gt(data.amount, \"0\")' failed: field data.amount is missing. "
        "Set it with --set amount=VALUE."
    )
    assert caught.value.field == "data.amount"
    assert caught.value.source == 'money_gt(data.amount, "0")'


def test_missing_nested_field_names_full_path() -> None:
    guard = compile_guard('data.party.name == "ACME" && data.other == 1')
    with pytest.raises(GuardEvaluationError) as caught:
        evaluate_guard(guard, {"data": {"party": {}, "other": 1}})
    assert caught.value.field == "data.party.name"
    assert "Set it with --set party.name=VALUE." in caught.value.message


def test_missing_contract_field_no_hint() -> None:
    with pytest.raises(GuardEvaluationError) as caught:
        evaluate_guard(compile_guard('contract.customer == "C1"'), {"contract": {}})
    assert caught.value.message == (
        "guard 'contract.customer == \"C1\"' failed: field contract.customer is missing."
    )


def test_missing_root_variable() -> None:
    with pytest.raises(GuardEvaluationError) as caught:
        evaluate_guard(compile_guard("customer.grade == 'AAA'"), {"data": {}})
    assert caught.value.message == (
        "guard 'customer.grade == 'AAA'' failed: variable customer is not available here"
    )


def test_has_tolerates_missing_field() -> None:
    assert evaluate_guard(compile_guard("has(data.approved_on)"), {"data": {}}) is False


def test_non_boolean_guard_is_refused() -> None:
    with pytest.raises(GuardEvaluationError) as caught:
        evaluate_guard(compile_guard("data.amount"), {"data": {"amount": "5"}})
    assert caught.value.message == (
        "guard 'data.amount' returned \"5\" (string) instead of true or false. "
        "Rewrite it as a condition, for example a comparison."
    )


def test_null_guard_result_is_refused() -> None:
    with pytest.raises(GuardEvaluationError, match="returned null instead of true or false"):
        evaluate_guard(compile_guard("data.flag"), {"data": {"flag": None}})


def test_type_mismatch_is_an_evaluation_error() -> None:
    with pytest.raises(GuardEvaluationError) as caught:
        evaluate_guard(compile_guard("data.amount > 5"), {"data": {"amount": "10"}})
    assert caught.value.message.startswith("guard 'data.amount > 5' failed: No such overload")


def test_evaluate_set_expression() -> None:
    assert evaluate(compile_expression("today"), {"today": "2026-03-01"}) == "2026-03-01"
