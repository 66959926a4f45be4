"""``\\watch --until`` conditions: a small language over a command's result, never Python.

Grammar::

    condition  := and ("or" and)*
    and        := not ("and" not)*
    not        := "not" not | comparison
    comparison := operand [("==" | "!=" | "<" | "<=" | ">" | ">=") operand]
    operand    := literal | field | "(" condition ")"
                | ("all" | "any" | "count") "(" [condition] ")"
    field      := NAME ("." NAME)*                    e.g. status, shards.status
    literal    := NUMBER | "text" | 'text' | true | false | null

What is tested is the command's first table, record or document. Its rows are a table's
rows, a record (or a JSON object) as one row, or the objects of a JSON list. A condition
naming fields holds when it holds for EVERY row, and there is at least one row: that is
what "wait until the shards are READY" means; ``any(C)`` holds when C holds for at least one
row, ``all(C)`` when for every row (at least one), ``count(C)`` is the number of rows where C
holds and ``count()`` the number of rows, so ``count() == 0`` waits for an empty result. A
field that names several values (``shards.status`` over a list of shards) compares like
rows: every value must match. An operand alone holds when it is true, a non-zero number,
a non-empty text. ``<``, ``<=``, ``>``, ``>=`` compare numbers with numbers and texts with
texts; null never compares (false). Function names are names like any other unless an
opening parenthesis follows, so ``count >= 1000`` tests \\count's ``count`` field.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from commands.did_you_mean import did_you_mean
from commands.errors import UsageError, excerpt
from commands.results import Document, Record, Result, Table

__all__ = ["Condition", "ConditionError", "parse_condition"]

EXAMPLE = "e.g. --until 'status == \"SUCCESS\"' or --until 'count >= 1000'"
SYNTAX = ("fields (status, shards.status), \"texts\", numbers, true/false/null, "
          "== != < <= > >=, and/or/not, (), any() all() count()")
_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<number>-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op>==|!=|<=|>=|<|>|\(|\))
""", re.VERBOSE)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "==": operator.eq, "!=": operator.ne, "<": operator.lt, "<=": operator.le,
    ">": operator.gt, ">=": operator.ge}
_LITERALS = {"true": True, "false": False, "null": None}
_FUNCTIONS = ("all", "any", "count")
_KEYWORDS = ("and", "or", "not")


class ConditionError(UsageError):
    """A condition that does not parse, or names a field the result does not have."""


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # number, string, name, op, end
    text: str
    column: int  # 1-based, for the error message


class _Many(list):  # type: ignore[type-arg]
    """The values a field names across a list (``shards.status``)."""


def _tokens(text: str) -> list[_Token]:
    out: list[_Token] = []
    at = 0
    while at < len(text):
        match = _TOKEN.match(text, at)
        if match is None:
            char = text[at]
            if char in "\"'":
                raise _error(text, at + 1, "this text is not closed")
            if char == "=":
                raise _error(text, at + 1, "'=' alone is not a comparison", "use == to compare")
            if text.startswith(("&&", "||"), at) or char == "!":
                raise _error(text, at + 1, f"{text[at:at + 2]!r} is not an operator here",
                             "write and, or, not")
            raise _error(text, at + 1, f"unexpected {char!r}")
        if match.lastgroup != "space":
            out.append(_Token(match.lastgroup or "", match.group(), at + 1))
        at = match.end()
    out.append(_Token("end", "", len(text) + 1))
    return out


def _error(text: str, column: int, what: str, hint: str | None = None) -> ConditionError:
    return ConditionError(f"--until {excerpt(text)!r}: {what} (column {column})",
                          hint or f"{EXAMPLE}; a condition has {SYNTAX}")


# --- the tree: each node evaluates against (every row, this row) ------------------------------

Rows = Sequence[dict[str, Any]]


@dataclass(frozen=True, slots=True)
class _Literal:
    value: Any

    def value_in(self, rows: Rows, row: dict[str, Any] | None) -> Any:
        return self.value


@dataclass(frozen=True, slots=True)
class _Field:
    path: tuple[str, ...]
    column: int

    def value_in(self, rows: Rows, row: dict[str, Any] | None) -> Any:
        values: list[Any] = [row]
        many = False
        for depth, name in enumerate(self.path):
            objects = [v for v in values if isinstance(v, dict)]
            if depth:  # the first name was checked against the result's fields
                self._check(depth, name, objects, values)
            values = []
            for item in objects:
                value = item.get(name)
                many = many or isinstance(value, list)
                values += value if isinstance(value, list) else [value]
        return _Many(values) if many else values[0] if values else None

    def _check(self, depth: int, name: str, objects: list[dict[str, Any]],
               values: list[Any]) -> None:
        """A name below a value that is not an object, or that no object has, is an error;
        below a null it is null."""
        where = ".".join(self.path[:depth])
        if not objects and any(v is not None for v in values):
            raise ConditionError(f"--until: {where} is not an object, so it has no field "
                                 f"{name!r} (column {self.column})", f"compare {where} itself")
        if objects and not any(name in item for item in objects):
            raise ConditionError(f"--until: {where} has no field {name!r} (column "
                                 f"{self.column})",
                                 _did_you_mean(name, sorted({k for o in objects for k in o})))


@dataclass(frozen=True, slots=True)
class _Compare:
    op: str
    left: Any
    right: Any

    def value_in(self, rows: Rows, row: dict[str, Any] | None) -> bool:
        left, right = self.left.value_in(rows, row), self.right.value_in(rows, row)
        lefts = left if isinstance(left, _Many) else [left]
        rights = right if isinstance(right, _Many) else [right]
        return bool(lefts) and bool(rights) and all(
            _compare(self.op, a, b) for a in lefts for b in rights)


@dataclass(frozen=True, slots=True)
class _Not:
    operand: Any

    def value_in(self, rows: Rows, row: dict[str, Any] | None) -> bool:
        return not _true(self.operand.value_in(rows, row))


@dataclass(frozen=True, slots=True)
class _Logic:
    op: str  # and, or
    operands: tuple[Any, ...]

    def value_in(self, rows: Rows, row: dict[str, Any] | None) -> bool:
        test = all if self.op == "and" else any
        return test(_true(o.value_in(rows, row)) for o in self.operands)


@dataclass(frozen=True, slots=True)
class _Function:
    name: str  # all, any, count
    operand: Any | None

    def value_in(self, rows: Rows, row: dict[str, Any] | None) -> Any:
        if self.operand is None:
            return len(rows)
        held = [_true(self.operand.value_in(rows, r)) for r in rows]
        if self.name == "count":
            return sum(held)
        return any(held) if self.name == "any" else bool(held) and all(held)


def _true(value: Any) -> bool:
    if isinstance(value, _Many):
        return bool(value) and all(_true(v) for v in value)
    return value is not None and value is not False and value != 0 and value != ""


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _compare(op: str, a: Any, b: Any) -> bool:
    if op in ("==", "!="):
        same = type(a) is type(b) or (_number(a) and _number(b))
        return _COMPARE[op](a, b) if same else op == "!="
    if a is None or b is None:
        return False
    if (_number(a) and _number(b)) or (isinstance(a, str) and isinstance(b, str)):
        return _COMPARE[op](a, b)
    raise ConditionError(f"--until: cannot order {_shown(a)} and {_shown(b)} with {op}",
                         "< <= > >= compare numbers with numbers, texts with texts")


def _shown(value: Any) -> str:
    kind = "number" if _number(value) else "text" if isinstance(value, str) else \
        "true/false" if isinstance(value, bool) else type(value).__name__
    return f"{value!r} ({kind})"


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    known = list(known)
    listed = ", ".join(known) or "none"
    return f"{did_you_mean(name, known, 1) or ''} its fields: {listed}".lstrip()


# --- the parser ------------------------------------------------------------------------------

MAX_DEPTH = 64


class _Parser:
    """Recursive descent over the grammar in the module docstring."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.at = 0
        self.depth = 0

    def peek(self) -> _Token:
        return self.tokens[self.at]

    def take(self) -> _Token:
        token = self.tokens[self.at]
        self.at += 1
        return token

    def word(self, *words: str) -> bool:
        token = self.peek()
        if token.kind == "name" and token.text in words:
            self.at += 1
            return True
        return False

    def fail(self, what: str, hint: str | None = None) -> ConditionError:
        token = self.peek()
        got = "the end" if token.kind == "end" else repr(token.text)
        return _error(self.text, token.column, f"{what}, got {got}", hint)

    def condition(self) -> Any:
        parts = [self.conjunction()]
        while self.word("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else _Logic("or", tuple(parts))

    def conjunction(self) -> Any:
        parts = [self.negation()]
        while self.word("and"):
            parts.append(self.negation())
        return parts[0] if len(parts) == 1 else _Logic("and", tuple(parts))

    def negation(self) -> Any:
        # every nesting (not, parentheses, a function) passes here: bound it, or a pasted
        # "((((..." overflows Python's stack
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"more than {MAX_DEPTH} levels of not, ( and functions")
        try:
            if self.word("not"):
                return _Not(self.negation())
            left = self.operand()
            token = self.peek()
            if token.kind == "op" and token.text in _COMPARE:
                self.take()
                return _Compare(token.text, left, self.operand())
            return left
        finally:
            self.depth -= 1

    def operand(self) -> Any:
        token = self.peek()
        if token.kind == "number":
            self.take()
            number = float(token.text)
            return _Literal(int(number) if number.is_integer() and re.fullmatch(
                r"-?\d+", token.text) else number)
        if token.kind == "string":
            self.take()
            return _Literal(re.sub(r"\\(.)", r"\1", token.text[1:-1]))
        if token.kind == "op" and token.text == "(":
            self.take()
            inner = self.condition()
            self.close()
            return inner
        if token.kind == "name" and token.text in _LITERALS:
            self.take()
            return _Literal(_LITERALS[token.text])
        if token.kind == "name" and token.text not in _KEYWORDS:
            self.take()
            after = self.peek()
            if after.kind == "op" and after.text == "(" and "." not in token.text:
                return self.function(token)
            return _Field(tuple(token.text.split(".")), token.column)
        raise self.fail("expected a field, a number, a \"text\", true, false or null")

    def function(self, name: _Token) -> _Function:
        if name.text not in _FUNCTIONS:
            raise _error(self.text, name.column, f"unknown function {name.text}()",
                         "the functions are any(CONDITION), all(CONDITION), count(CONDITION) "
                         "and count()")
        self.take()  # (
        if self.peek().kind == "op" and self.peek().text == ")":
            if name.text != "count":
                raise self.fail(f"{name.text}() needs a condition")
            self.take()
            return _Function(name.text, None)
        inner = self.condition()
        self.close()
        return _Function(name.text, inner)

    def close(self) -> None:
        if not (self.peek().kind == "op" and self.peek().text == ")"):
            raise self.fail("expected ')'")
        self.take()


def _fields(node: Any, inside: bool = False) -> list[_Field]:
    """The fields a node names, outside functions unless ``inside``."""
    if isinstance(node, _Field):
        return [node]
    if isinstance(node, _Function):
        return _fields(node.operand, True) if inside and node.operand else []
    children = {_Compare: lambda n: (n.left, n.right), _Not: lambda n: (n.operand,),
                _Logic: lambda n: n.operands}.get(type(node))
    return [f for child in (children(node) if children else ()) for f in _fields(child, inside)]


@dataclass(frozen=True, slots=True)
class Condition:
    """A parsed ``--until`` condition; ``holds(results)`` tests a command's results."""

    text: str
    tree: Any

    def holds(self, command: str, results: Sequence[Result]) -> bool:
        """Whether the condition holds on the first table, record or document of
        ``results`` (``command`` names it in errors); ``ConditionError`` when it names a
        field the result does not have, or there is nothing to test."""
        found = next((r for r in results if isinstance(r, Table | Record | Document)), None)
        if found is None:
            raise ConditionError(f"--until: \\{command} gives no table, record or document "
                                 "to test", "watch a command that shows data")
        fields, rows = _rows(found)
        for field in _fields(self.tree, inside=True):
            if field.path[0] not in fields:
                raise ConditionError(f"--until: the result of \\{command} has no field "
                                     f"{field.path[0]!r} (column {field.column})",
                                     _did_you_mean(field.path[0], fields))
        if not _fields(self.tree):  # only functions and literals: once over every row
            return _true(self.tree.value_in(rows, None))
        return bool(rows) and all(_true(self.tree.value_in(rows, row)) for row in rows)


def _rows(result: Table | Record | Document) -> tuple[list[str], list[dict[str, Any]]]:
    """The field names a result has and its rows."""
    if isinstance(result, Table):
        return list(result.columns), result.to_data()
    data = result.to_data()
    rows = [data] if isinstance(data, dict) else \
        [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []
    return list(dict.fromkeys(k for row in rows for k in row)), rows


def parse_condition(text: str) -> Condition:
    """Parse ``text`` once, before the first run; ``ConditionError`` (a usage error) says
    where it goes wrong."""
    if not text.strip():
        raise ConditionError("--until needs a condition", f"{EXAMPLE}; a condition has {SYNTAX}")
    parser = _Parser(text)
    tree = parser.condition()
    if parser.peek().kind != "end":
        raise parser.fail("expected and, or or the end", "join conditions with and / or")
    return Condition(text, tree)
