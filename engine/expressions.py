"""CEL expressions and guards: compiling, checking the names they use, evaluating.

Expressions are written in the Common Expression Language and run by the `cel`
package (common-expression-language on PyPI), never by Python `eval`. Money is
compared through Decimal-backed functions, so amounts never pass through float.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import cel

from engine.errors import BadInputError, RefusedError
from engine.expression_functions import FUNCTIONS, FunctionArgumentError, describe_value
from engine.expression_paths import scan_paths
from engine.i18n import _

__all__ = [
    "CEL_BUILTINS",
    "CONTRACT_FIELDS",
    "FUNCTIONS",
    "KNOWN_ROOTS",
    "EvaluationError",
    "Expression",
    "ExpressionError",
    "ExpressionSyntaxError",
    "FunctionArgumentError",
    "Guard",
    "GuardEvaluationError",
    "UnknownNameError",
    "compile_expression",
    "compile_guard",
    "evaluate",
    "evaluate_guard",
]

# Variable roots the engine binds when it evaluates an expression. `data` is the
# contract's data, `contract` its header (CONTRACT_FIELDS), `now` the clock as a
# UTC ISO timestamp and `today` the business date as an ISO date. `obligations`,
# `customer` and `event` are reserved for obligations, customer credit and events.
KNOWN_ROOTS: frozenset[str] = frozenset(
    {"data", "contract", "now", "today", "obligations", "customer", "event"}
)
CONTRACT_FIELDS: frozenset[str] = frozenset({"number", "customer", "state", "process", "version"})

# Functions and macros that the cel package (cel-rust) provides without registration.
CEL_BUILTINS: frozenset[str] = frozenset(
    {
        "size", "has", "int", "uint", "double", "string", "bytes", "dyn", "type",
        "matches", "contains", "startsWith", "endsWith",
        "exists", "exists_one", "all", "map", "filter",
        "timestamp", "duration",
        "getFullYear", "getMonth", "getDate", "getDayOfMonth", "getDayOfWeek",
        "getDayOfYear", "getHours", "getMinutes", "getSeconds", "getMilliseconds",
    }
)  # fmt: skip

_FUNCTION_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_SYNTAX_ERROR = re.compile(r"<input>:(\d+):(\d+): (?:Syntax error: )?(.*)")
_REPORTED_FUNCTION_FAILURE = re.compile(r"^Python function '([^']+)' failed")


class ExpressionError(BadInputError):
    """An expression that cannot be accepted into a process definition."""


class ExpressionSyntaxError(ExpressionError):
    """An expression that does not parse as CEL."""

    def __init__(self, message: str, column: int | None = None) -> None:
        super().__init__(message)
        self.column = column


class UnknownNameError(ExpressionError):
    """An expression that calls an unknown function or reads an unknown variable."""


class EvaluationError(RefusedError):
    """An expression that failed while running; the move it belongs to is refused."""

    def __init__(self, message: str, source: str, field: str | None = None) -> None:
        super().__init__(message)
        self.source = source
        self.field = field


class GuardEvaluationError(EvaluationError):
    """A guard that failed while running or did not return true or false."""


@dataclass(frozen=True)
class Expression:
    """A compiled CEL expression and the dotted variable paths it reads."""

    source: str
    paths: frozenset[str]
    _program: Any = field(compare=False, repr=False, default=None)

    @property
    def roots(self) -> frozenset[str]:
        """Top-level variables the expression reads, such as `data` or `today`."""
        return frozenset(path.split(".", 1)[0] for path in self.paths)


@dataclass(frozen=True)
class Guard(Expression):
    """A CEL expression that must return true or false."""


def compile_expression(source: str) -> Expression:
    """Compile `source` and check that it uses only known functions and roots.

    Raises ExpressionSyntaxError when it does not parse and UnknownNameError when
    it calls a function or reads a variable that the engine does not provide.
    """
    return _compile(source, Expression)


def compile_guard(source: str) -> Guard:
    """Compile a guard; like compile_expression, but the result is a Guard."""
    guard = _compile(source, Guard)
    assert isinstance(guard, Guard)
    return guard


def _compile(source: str, kind: type[Expression]) -> Expression:
    if not isinstance(source, str) or not source.strip():
        raise ExpressionSyntaxError(
            _('expression is empty. Write a CEL expression, for example data.amount != "".')
        )
    try:
        program = cel.compile(source)
    except ValueError as exc:
        raise _syntax_error(source, str(exc)) from None

    paths = scan_paths(source)
    _check_functions(source, program)
    _check_roots(source, paths)
    return kind(source=source, paths=frozenset(paths), _program=program)


def _syntax_error(source: str, detail: str) -> ExpressionSyntaxError:
    match = _SYNTAX_ERROR.search(detail)
    if match is None:
        return ExpressionSyntaxError(
            _("invalid CEL expression '{source}': {detail}").format(
                source=source, detail=detail.splitlines()[0]
            )
        )
    line, column, reason = int(match.group(1)), int(match.group(2)), match.group(3)
    reason = _describe_syntax_problem(reason)
    if line > 1:
        message = _("invalid CEL expression '{source}' at line {line}, column {column}: {reason}")
    else:
        message = _("invalid CEL expression '{source}' at column {column}: {reason}")
    return ExpressionSyntaxError(
        message.format(source=source, line=line, column=column, reason=reason), column
    )


def _describe_syntax_problem(reason: str) -> str:
    """Shorten the parser's wording: drop the list of expected tokens."""
    reason = reason.split(" expecting ", 1)[0].strip()
    reason = reason.replace(" at '<EOF>'", " " + _("at the end of the expression"))
    if reason == "mismatched input '<EOF>'":
        return _("the expression ends too early")
    if reason.startswith(("mismatched input ", "extraneous input ")):
        return _("unexpected {token}").format(token=reason.split(" input ", 1)[1])
    if reason.startswith("token recognition error at: "):
        text = reason.removeprefix("token recognition error at: ")
        return _("unrecognized text {text} (is a quote missing?)").format(text=text)
    return reason


def _check_functions(source: str, program: Any) -> None:
    unknown = [
        name
        for name in program.functions()
        if _FUNCTION_NAME.match(name) and name not in FUNCTIONS and name not in CEL_BUILTINS
    ]
    if unknown:
        raise UnknownNameError(
            _(
                "expression '{source}' calls unknown function {name}. Available functions: {known}."
            ).format(source=source, name=unknown[0], known=", ".join(sorted(FUNCTIONS)))
        )


def _check_roots(source: str, paths: set[str]) -> None:
    for path in sorted(paths):
        root = path.split(".", 1)[0]
        if root not in KNOWN_ROOTS:
            raise UnknownNameError(
                _(
                    "expression '{source}' reads unknown variable {root}. Start every name "
                    "with one of: {roots}."
                ).format(source=source, root=root, roots=", ".join(sorted(KNOWN_ROOTS)))
            )


def evaluate(expr: Expression, variables: dict[str, Any]) -> Any:
    """Run `expr` with `variables` (see KNOWN_ROOTS) and return its value.

    Decimal values are passed to CEL as decimal strings because the cel package
    would turn them into floats. Raises EvaluationError (GuardEvaluationError for a
    Guard) naming the missing field or the failing function.
    """
    failures: list[FunctionArgumentError] = []
    # Only the roots the expression reads are handed to CEL: converting the others costs
    # time (ticks evaluate guards for many contracts) and could not change the result.
    visible = {name: variables[name] for name in expr.roots if name in variables}
    context = cel.Context(_cel_values(visible), _bound_functions(failures))
    try:
        return expr._program.execute(context)
    except KeyError as exc:
        missing = _missing_path(expr, variables, str(exc.args[0]) if exc.args else "")
        raise _missing_field_error(expr, missing) from None
    except (RuntimeError, TypeError, ValueError, IndexError, ArithmeticError) as exc:
        if failures:
            detail = str(failures[0])
        else:
            detail = _undefined_name(str(exc)) or str(exc).splitlines()[0]
        raise _error_class(expr)(
            _("{subject} failed: {detail}").format(subject=_subject(expr), detail=detail),
            expr.source,
        ) from None


def evaluate_guard(guard: Guard, variables: dict[str, Any]) -> bool:
    """Run `guard` and return its result; anything but true or false is an error."""
    result = evaluate(guard, variables)
    if isinstance(result, bool):
        return result
    raise GuardEvaluationError(
        _(
            "guard '{source}' returned {value} instead of true or false. Rewrite it as a "
            "condition, for example a comparison."
        ).format(source=guard.source, value=describe_value(result)),
        guard.source,
    )


def _subject(expr: Expression) -> str:
    if isinstance(expr, Guard):
        return _("guard '{source}'").format(source=expr.source)
    return _("expression '{source}'").format(source=expr.source)


def _error_class(expr: Expression) -> type[EvaluationError]:
    return GuardEvaluationError if isinstance(expr, Guard) else EvaluationError


def _missing_field_error(expr: Expression, path: str) -> EvaluationError:
    subject = _subject(expr)
    if path.startswith("data."):
        message = _("{subject} failed: field {field} is missing. Set it with --set {name}=VALUE.")
    else:
        message = _("{subject} failed: field {field} is missing.")
    return _error_class(expr)(
        message.format(subject=subject, field=path, name=path.removeprefix("data.")),
        expr.source,
        path,
    )


def _missing_path(expr: Expression, variables: dict[str, Any], key: str) -> str:
    """Name the dotted path whose first missing step is `key`, the key cel did not find.

    The cel package names only the last key (KeyError('name')), so the paths of the
    expression are walked through `variables` to find the full one.
    """
    for path in sorted(expr.paths):
        value: Any = variables
        parts = path.split(".")
        for depth, part in enumerate(parts, 1):
            if not isinstance(value, dict) or part not in value:
                if part == key:
                    return ".".join(parts[:depth])
                break
            value = value[part]
    return key


def _undefined_name(detail: str) -> str | None:
    match = re.search(r"Undefined variable or function: '([^']+)'", detail)
    if match is None:
        return None
    return _("variable {name} is not available here").format(name=match.group(1))


def _cel_values(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {key: _cel_values(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_cel_values(item) for item in value]
    return value


def _bound_functions(failures: list[FunctionArgumentError]) -> dict[str, Callable[..., Any]]:
    """Wrap FUNCTIONS so that their own errors are kept for a readable message."""

    def bind(function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any) -> Any:
            try:
                return function(*args)
            except FunctionArgumentError as exc:
                failures.append(exc)
                raise

        return call

    return {name: bind(function) for name, function in FUNCTIONS.items()}


class _HideReportedFunctionFailures(logging.Filter):
    """Drop the cel package's warning for our functions: evaluate() reports those itself."""

    def filter(self, record: logging.LogRecord) -> bool:
        match = _REPORTED_FUNCTION_FAILURE.match(record.getMessage())
        return not (match and match.group(1) in FUNCTIONS)


logging.getLogger("cel").addFilter(_HideReportedFunctionFailures())
