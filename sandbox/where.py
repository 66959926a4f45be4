"""Where filters (REST-BEHAVIOUR.md §8.3): validation with Weaviate's messages, and evaluation.

``compile_where(clause, col)`` returns a predicate over stored objects or raises
``FilterError``, whose ``parse`` flag tells the caller which of Weaviate's two
prefixes to use (``failed to parse where filter`` or ``invalid where filter``).
Text comparisons honour the property's tokenization, as the inverted index does.
"""

from __future__ import annotations

import fnmatch
import math
import re
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson

from sandbox.classes import lower_first
from sandbox.store import Collection, StoredObject

Predicate = Callable[[StoredObject], bool]

OPERATORS = ["And", "Or", "Equal", "Like", "NotEqual", "GreaterThan", "GreaterThanEqual",
             "LessThan", "LessThanEqual", "WithinGeoRange", "IsNull", "ContainsAny",
             "ContainsAll", "ContainsNone", "Not"]
LOGICAL = {"And", "Or", "Not"}
CONTAINS = {"ContainsAny", "ContainsAll", "ContainsNone"}
VALUE_FIELDS = ["valueText", "valueInt", "valueNumber", "valueBoolean", "valueDate",
                "valueString", "valueTextArray", "valueIntArray", "valueNumberArray",
                "valueBooleanArray", "valueDateArray", "valueStringArray", "valueGeoRange"]
EXPECTED = {"text": "valueText", "int": "valueInt", "number": "valueNumber",
            "boolean": "valueBoolean", "date": "valueDate", "uuid": "valueText",
            "geoCoordinates": "valueGeoRange", "blob": "valueText", "phoneNumber": "valueText"}


class FilterError(ValueError):
    """An invalid where filter; ``parse`` is True for structural errors."""

    def __init__(self, message: str, parse: bool) -> None:
        super().__init__(message)
        self.parse = parse


class UnknownOperator(FilterError):
    """An operator outside the enum: go-openapi rejects it before Weaviate sees it (422/606)."""


def _tokens(text: str, tokenization: str) -> list[str]:
    if tokenization == "field":
        return [text.strip()]
    if tokenization == "whitespace":
        return text.split()
    if tokenization == "lowercase":
        return text.lower().split()
    return [t for t in re.split(r"[^0-9A-Za-z\u00c0-\uffff]+", text.lower()) if t]


def _ms(value: Any) -> float:
    if isinstance(value, str) and not value.lstrip("-").isdigit():
        return datetime.fromisoformat(value.replace("z", "Z")).timestamp() * 1000
    return float(value)


def _distance_m(a: dict[str, float], b: dict[str, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a["latitude"], a["longitude"],
                                                b["latitude"], b["longitude"]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371000 * math.asin(math.sqrt(h))


def compile_where(clause: Any, col: Collection) -> Predicate:
    """Validate ``clause`` against the collection's schema and return its predicate."""
    if not isinstance(clause, dict):
        raise FilterError("where filter must be an object", parse=True)
    op = clause.get("operator")
    if op not in OPERATORS:
        raise UnknownOperator(f"operator in body should be one of [{' '.join(OPERATORS)}]", True)
    if op in LOGICAL:
        return _logical(op, clause, col)
    return _leaf(op, clause, col)


def _logical(op: str, clause: dict[str, Any], col: Collection) -> Predicate:
    if clause.get("path"):
        raise FilterError(f"operator '{op}' not compatible with field 'path', remove it or "
                          "switch to compare operator (eg. Equal, NotEqual, etc.)", True)
    operands = clause.get("operands") or []
    if not operands:
        raise FilterError(f"operator '{op}', but no operands set - add at least one operand",
                          True)
    children = []
    for i, operand in enumerate(operands):
        try:
            children.append(compile_where(operand, col))
        except UnknownOperator:
            raise
        except FilterError as exc:
            raise FilterError(f"child operand at position {i}: {exc}", exc.parse) from None
    if op == "And":
        return lambda obj: all(c(obj) for c in children)
    if op == "Or":
        return lambda obj: any(c(obj) for c in children)
    return lambda obj: not any(c(obj) for c in children)


def _leaf(op: str, clause: dict[str, Any], col: Collection) -> Predicate:
    path = clause.get("path") or []
    if not path:
        raise FilterError(f"operator '{op}' requires a path", parse=True)
    given = [f for f in VALUE_FIELDS if clause.get(f) is not None]
    if not given:
        raise FilterError(f"got operator '{op}', but no value<Type> field set", parse=True)
    if len(given) > 1:
        raise FilterError(f"found more than one values the clause "
                          f"'{orjson.dumps(clause).decode()}'", parse=True)
    field = given[0]
    value = clause[field]
    name = path[0]
    if len(path) > 1:
        raise FilterError("filtering by reference properties is not supported by the sandbox",
                          parse=False)
    if name in ("id", "_id"):
        _expect(field, "valueText", "uuid", op)
        return _compare(op, lambda o: o.id, value, "field")
    if name in ("_creationTimeUnix", "_lastUpdateTimeUnix"):
        if field not in ("valueText", "valueDate"):
            _expect(field, "valueDate", "date", op)
        attr = "created" if name == "_creationTimeUnix" else "updated"
        return _compare(op, lambda o: getattr(o, attr), _ms(value), "field")
    if name.startswith("len(") and name.endswith(")"):
        prop_name = lower_first(name[4:-1])
        _property(col, prop_name)
        _expect(field, "valueInt", "int", op)
        return _compare(op, lambda o: _length(o.properties.get(prop_name)), value, "field")
    prop = _property(col, lower_first(name))
    pname = prop["name"]
    kind = prop["dataType"][0]
    base = kind.removesuffix("[]")
    tokenization = prop.get("tokenization", "field")
    if op == "IsNull":
        _expect(field, "valueBoolean", "boolean", op)
        return lambda o: (o.properties.get(pname) is None) == bool(value)
    expected = EXPECTED.get(base)
    if expected is None:
        raise FilterError(f"filtering on data type '{kind}' is not supported", parse=False)
    if op in CONTAINS:
        if not field.endswith("Array") and field.removesuffix("Array") != expected:
            _expect(field, expected + "Array", kind, op)
    elif field.removesuffix("Array") not in (expected, "valueString" if expected ==
                                             "valueText" else expected):
        _expect(field, expected, kind, op)
    if base == "date":
        value = [_ms(v) for v in value] if isinstance(value, list) else _ms(value)
        return _compare(op, lambda o: _date_values(o.properties.get(pname)), value, "field")
    if base == "geoCoordinates":
        return _geo(op, pname, value)
    return _compare(op, lambda o: o.properties.get(pname), value,
                    tokenization if base == "text" else "field")


def _expect(field: str, expected: str, kind: str, op: str) -> None:
    if field != expected:
        raise FilterError(f'data type filter cannot use "{field}" on type "{kind}", use '
                          f'"{expected}" instead', parse=False)


def _property(col: Collection, name: str) -> dict[str, Any]:
    prop = col.properties.get(name)
    if prop is None:
        raise FilterError(f"no such prop with name '{name}' found in class '{col.name}' in the "
                          "schema. Check your schema files for which properties in this class "
                          "are available", parse=False)
    return prop


def _length(value: Any) -> int:
    return len(value) if isinstance(value, str | list) else 0


def _date_values(value: Any) -> Any:
    if isinstance(value, list):
        return [_ms(v) for v in value]
    return None if value is None else _ms(value)


def _geo(op: str, pname: str, value: dict[str, Any]) -> Predicate:
    if op != "WithinGeoRange":
        raise FilterError(f"operator '{op}' is not supported on geoCoordinates", parse=False)
    center, max_m = value["geoCoordinates"], float(value["distance"]["max"])
    return lambda o: (o.properties.get(pname) is not None
                      and _distance_m(o.properties[pname], center) <= max_m)


def _compare(op: str, get: Callable[[StoredObject], Any], value: Any,
             tokenization: str) -> Predicate:
    """Leaf comparison; array properties match when any element matches, as in Weaviate."""

    def tokens(v: Any) -> list[Any]:
        if v is None:
            return []
        items = v if isinstance(v, list) else [v]
        if tokenization != "field":
            return [t for item in items if isinstance(item, str)
                    for t in _tokens(item, tokenization)]
        return items

    if op in CONTAINS:
        wanted = [t for v in (value if isinstance(value, list) else [value])
                  for t in (tokens(v) if isinstance(v, str) else [v])]
    else:
        wanted = value if isinstance(value, list) else tokens(value)
    if op == "Equal":
        return lambda o: bool(wanted) and set(wanted) <= set(tokens(get(o)))
    if op == "NotEqual":
        return lambda o: not (bool(wanted) and set(wanted) <= set(tokens(get(o))))
    if op == "Like":
        # The pattern is matched against each token; case folds where the tokenization does.
        fold = tokenization in ("word", "lowercase")
        pattern = value.lower() if fold else value
        return lambda o: any(fnmatch.fnmatchcase(str(t), pattern) for t in tokens(get(o)))
    if op == "ContainsAny":
        return lambda o: bool(set(wanted) & set(tokens(get(o))))
    if op == "ContainsAll":
        return lambda o: set(wanted) <= set(tokens(get(o)))
    if op == "ContainsNone":
        return lambda o: not set(wanted) & set(tokens(get(o)))
    compare = {"GreaterThan": lambda a, b: a > b, "GreaterThanEqual": lambda a, b: a >= b,
               "LessThan": lambda a, b: a < b, "LessThanEqual": lambda a, b: a <= b}[op]

    def ordered(o: StoredObject) -> bool:
        current = get(o)
        items = current if isinstance(current, list) else [current]
        return any(item is not None and compare(item, value) for item in items)

    return ordered
