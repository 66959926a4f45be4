"""Where filters (REST-BEHAVIOUR.md §8.3) in Weaviate's four stages.

1. Binding (go-openapi): ``WHERE_FILTER`` is the model JSON types are checked against
   (``http.go_decode``, 400), and ``check_operators`` the operator enum over the whole
   tree (``UnknownOperator``, 422/606).
2. Parsing (filterext/parse.go): structure, the value field, ``valueGeoRange``; a
   ``FilterError`` with ``parse`` set (``failed to parse where filter: ...``).
3. Validation against the class (entities/filters/filters_validator.go): property
   names and value types; a ``FilterError`` without ``parse`` (``invalid where filter``).
4. The search on the shard (adapters/repos/db/inverted): what only the index notices -
   missing inverted indexes (filterable, timestamps, null state, property length) and
   unreadable timestamps or dates. ``compile_where`` reports the first such error in
   ``Filter.search_error``, worded and nested as the searcher wraps it; the caller
   answers it as the repo failure it is (500).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from sandbox.classes import lower_first
from sandbox.http import GoSlice, GoStruct
from sandbox.matching import (
    CONTAINS,
    DateError,
    Predicate,
    compare,
    date_values,
    length,
    rfc3339_ms,
    within,
)
from sandbox.store import Collection

OPERATORS = ["And", "Or", "Equal", "Like", "NotEqual", "GreaterThan", "GreaterThanEqual",
             "LessThan", "LessThanEqual", "WithinGeoRange", "IsNull", "ContainsAny",
             "ContainsAll", "ContainsNone", "Not"]
LOGICAL = {"And", "Or", "Not"}
COMPARISONS = {"Equal", "NotEqual", "GreaterThan", "GreaterThanEqual", "LessThan",
               "LessThanEqual"}
SCALAR_FIELDS = {"valueText": "string", "valueInt": "int64", "valueNumber": "float64",
                 "valueBoolean": "bool", "valueDate": "string", "valueString": "string"}
ARRAY_FIELDS = {"valueTextArray": "string", "valueIntArray": "int64",
                "valueNumberArray": "float64", "valueBooleanArray": "bool",
                "valueDateArray": "string", "valueStringArray": "string"}
VALUE_FIELDS = [*SCALAR_FIELDS, *ARRAY_FIELDS, "valueGeoRange"]
EXPECTED = {"text": "valueText", "int": "valueInt", "number": "valueNumber",
            "boolean": "valueBoolean", "date": "valueDate", "uuid": "valueText",
            "geoCoordinates": "valueGeoRange", "blob": "valueText", "phoneNumber": "valueText"}
INDEXED = {"text", "int", "number", "boolean", "date"}  # served by the inverted index
TIMESTAMPS = {"_creationTimeUnix": "created", "_lastUpdateTimeUnix": "updated"}
MISSING_INDEX = ("Filtering by property '{0}' requires inverted index. Is `indexFilterable` "
                 "option of property '{0}' enabled? Set it to `true` or leave empty")

WHERE_FILTER = GoStruct("WhereFilter", {
    "operator": "string", "path": GoSlice("string", "[]string"),
    **SCALAR_FIELDS, **{k: GoSlice(t, f"[]{t}") for k, t in ARRAY_FIELDS.items()},
    "valueGeoRange": GoStruct("WhereFilterGeoRange", {
        "geoCoordinates": GoStruct("GeoCoordinates", {"latitude": "float32",
                                                      "longitude": "float32"}),
        "distance": GoStruct("WhereFilterGeoRangeDistance", {"max": "float64"})}),
})
WHERE_FILTER.fields["operands"] = GoSlice(WHERE_FILTER, "[]*models.WhereFilter")


class FilterError(ValueError):
    """An invalid where filter; ``parse`` is True for structural errors."""

    def __init__(self, message: str, parse: bool) -> None:
        super().__init__(message)
        self.parse = parse


class UnknownOperator(FilterError):
    """An operator outside the enum: go-openapi rejects it before Weaviate sees it (422/606)."""


@dataclass
class Filter:
    """A compiled filter: its predicate, and the error the shard's search would raise."""

    predicate: Predicate
    search_error: str | None = None


@dataclass
class _Search:
    """Errors the searcher would meet: building the clause tree first, then resolving it."""

    extract: list[str] = field(default_factory=list)
    resolve: list[str] = field(default_factory=list)

    def error(self) -> str | None:
        if self.extract:
            return self.extract[0]
        return f"resolve doc ids for prop/value pair: {self.resolve[0]}" if self.resolve else None


def check_operators(clause: Any, path: str = "") -> None:
    """go-openapi's enum validation of every ``operator`` in the tree (after decoding)."""
    if not isinstance(clause, dict):
        return
    if clause.get("operator") not in OPERATORS:
        raise UnknownOperator(f"{path}operator in body should be one of "
                              f"[{' '.join(OPERATORS)}]", True)
    for i, operand in enumerate(clause.get("operands") or []):
        check_operators(operand, f"{path}operands.{i}.")


def compile_where(clause: dict[str, Any], col: Collection) -> Filter:
    """Parse, then validate ``clause`` against the class (``FilterError``), and compile it."""
    _parse(clause)
    search = _Search()
    return Filter(_validate(clause, col, search, "", ""), search.error())


def _given(clause: dict[str, Any]) -> list[str]:
    return [f for f in VALUE_FIELDS if clause.get(f) is not None and clause.get(f) != []]


def _parse(clause: dict[str, Any]) -> None:
    op = clause["operator"]
    if op in LOGICAL:
        if clause.get("path") is not None:
            raise FilterError(f"operator '{op}' not compatible with field 'path', remove 'path' "
                              "or switch to compare operator (eg. Equal, NotEqual, etc.)", True)
        if _given(clause):
            raise FilterError(f"operator '{op}' not compatible with field 'value<Type>', remove "
                              "value field or switch to compare operator (eg. Equal, NotEqual, "
                              "etc.)", True)
        if not clause.get("operands"):
            raise FilterError(f"operator '{op}', but no operands set - add at least one "
                              "operand", True)
        for i, operand in enumerate(clause["operands"]):
            try:
                _parse(operand)
            except FilterError as exc:
                raise FilterError(f"operand {i}: invalid where filter: {exc}", True) from None
        return
    given = _given(clause)
    if len(given) > 1:
        raise FilterError(f"found more than one values the clause "
                          f"'{orjson.dumps(clause).decode()}'", True)
    if not given:
        raise FilterError(f"got operator '{op}', but no value<Type> field set", True)
    geo = clause.get("valueGeoRange")
    if geo is not None:
        if geo.get("distance") is None:
            raise FilterError("valueGeoRange: field 'distance' must be set", True)
        if (geo["distance"].get("max") or 0) < 0:
            raise FilterError("valueGeoRange: field 'distance.max' must be a positive number",
                              True)
        if geo.get("geoCoordinates") is None:
            raise FilterError("valueGeoRange: field 'geoCoordinates' must be set", True)
    if not clause.get("path"):
        raise FilterError("field 'path': must have at least one element", True)


def _validate(clause: dict[str, Any], col: Collection, search: _Search, ext: str,
              res: str) -> Predicate:
    """Validation errors of every operand, joined as Weaviate joins them; search errors are
    collected with the searcher's nesting (``ext`` while extracting, ``res`` resolving)."""
    op = clause["operator"]
    if op not in LOGICAL:
        return _leaf(op, clause, col, search, ext, res)
    children, errors = [], []
    for i, operand in enumerate(clause["operands"]):
        nested = "nested NOT query: " if op == "Not" else \
            f"nested AND/OR query: nested child {i}: "
        try:
            children.append(_validate(operand, col, search,
                                      f"{ext}nested query: nested clause at pos {i}: ",
                                      res + nested))
        except FilterError as exc:
            errors.append(f"child operand at position {i}: {exc}")
    if errors:
        raise FilterError(", ".join(errors), False)
    if op == "And":
        return lambda obj: all(c(obj) for c in children)
    if op == "Or":
        return lambda obj: any(c(obj) for c in children)
    return lambda obj: not any(c(obj) for c in children)


def _reject(message: str) -> FilterError:
    return FilterError(message, False)


def _leaf(op: str, clause: dict[str, Any], col: Collection, search: _Search, ext: str,
          res: str) -> Predicate:
    field_name = _given(clause)[0]
    value = clause[field_name]
    text = field_name in ("valueText", "valueString")
    path = clause["path"]
    name = path[0]
    inverted = col.config["invertedIndexConfig"]
    if len(path) > 1:
        raise _reject("filtering by reference properties is not supported by the sandbox")
    if name in ("id", "_id"):
        if not text:
            raise _reject('using ["_id"] to filter by uuid: must use "valueText" to specify '
                          "the id")
        return compare(op, lambda o: o.id, value, "field")
    if name in TIMESTAMPS:
        if not text and field_name != "valueDate":
            raise _reject(f'using ["{name}"] to filter by timestamp: must use "valueText" or '
                          '"valueDate"')
        wanted = _timestamp(value, text, search, ext)
        if not inverted.get("indexTimestamps"):
            search.resolve.append(f"{res}Timestamps must be indexed to be filterable! Add "
                                  "`IndexTimestamps: true` to the InvertedIndexConfig in "
                                  f"{col.name}")
        attr = TIMESTAMPS[name]
        return compare(op, lambda o: getattr(o, attr), wanted, "field")
    if name.startswith("len(") and name.endswith(")"):
        pname = _property(col, lower_first(name[4:-1]))["name"]
        if field_name != "valueInt":
            raise _reject(f'Filtering for property length requires IntValue, got "{field_name}" '
                          "instead")
        if op not in COMPARISONS:
            # [inferred] Go prints the operator's number here; the sandbox prints its name
            raise _reject("Filtering for property length supports operators (not) equal and "
                          f"greater/less than (equal), got {op} instead")
        if value < 0:
            raise _reject(f"Can only filter for positive property length got {value} instead")
        if not inverted.get("indexPropertyLength"):
            search.resolve.append(f"{res}Property length must be indexed to be filterable! add "
                                  "`IndexPropertyLength: true` to the invertedIndexConfig in "
                                  f"{col.name}.  Geo-coordinates, phone numbers and data blobs "
                                  "are not supported by property length.")
        return compare(op, lambda o: length(o.properties.get(pname)), value, "field")
    prop = _property(col, lower_first(name))
    return _on_property(op, field_name, value, prop, search, ext, res, inverted)


def _on_property(op: str, field_name: str, value: Any, prop: dict[str, Any], search: _Search,
                 ext: str, res: str, inverted: dict[str, Any]) -> Predicate:
    pname, kind = prop["name"], prop["dataType"][0]
    base = kind.removesuffix("[]")
    if op == "IsNull":
        if field_name != "valueBoolean":
            raise _reject(f"operator IsNull requires a booleanValue, got {field_name} instead")
        if not inverted.get("indexNullState"):
            search.resolve.append(f"{res}Nullstate must be indexed to be filterable! Add "
                                  "`indexNullState: true` to the invertedIndexConfig")
        return lambda o: (o.properties.get(pname) is None) == bool(value)
    expected = EXPECTED.get(base)
    if expected is None:
        raise _reject(f"filtering on data type '{kind}' is not supported")
    if base == "uuid":
        if field_name.removesuffix("Array") not in ("valueText", "valueString"):
            raise _reject(f'property "{pname}" is of type "uuid" or "uuid[]": specify uuid as '
                          'string using "valueText"')
        if op not in COMPARISONS | CONTAINS:
            raise _reject(f'operator "{op}" cannot be used on uuid/uuid[] props')
    elif op in CONTAINS:
        if not field_name.endswith("Array") and field_name.removesuffix("Array") != expected:
            _expect(field_name, expected + "Array", kind)
    elif field_name.removesuffix("Array") not in (expected, "valueString" if expected ==
                                                  "valueText" else expected):
        _expect(field_name, expected, kind)
    if base == "date":
        value = _dates(value, search, ext)
    if base in INDEXED and not any(prop.get(flag) for flag in (
            "indexFilterable", "indexSearchable", "indexRangeFilters")):
        search.extract.append(ext + MISSING_INDEX.format(pname))
    if base == "date":
        return compare(op, lambda o: date_values(o.properties.get(pname)), value, "field")
    if base == "geoCoordinates":
        if op != "WithinGeoRange":
            raise _reject(f"operator '{op}' is not supported on geoCoordinates")
        # [inferred] a missing latitude or longitude reads as 0
        center = {k: value["geoCoordinates"].get(k) or 0.0 for k in ("latitude", "longitude")}
        return within(pname, center, float(value["distance"].get("max") or 0))
    return compare(op, lambda o: o.properties.get(pname), value,
                   prop.get("tokenization", "field") if base == "text" else "field")


def _timestamp(value: Any, text: bool, search: _Search, ext: str) -> float | None:
    """A timestamp filter value in ms: digits for ``valueText``, RFC3339 for ``valueDate``."""
    if text:
        if isinstance(value, str) and value.lstrip("+-").isdigit():
            return float(value)
        search.extract.append(f"{ext}expected value to be timestamp, got '{value}'")
        return None
    return _dates(value, search, ext)


def _dates(value: Any, search: _Search, ext: str) -> Any:
    """Date filter values in ms; an unreadable one is the searcher's extraction error."""
    try:
        return [rfc3339_ms(v) for v in value] if isinstance(value, list) else rfc3339_ms(value)
    except DateError as exc:
        search.extract.append(f"{ext}trying parse time as RFC3339 string: {exc}")
        return None


def _expect(field_name: str, expected: str, kind: str) -> None:
    if field_name != expected:
        raise _reject(f'data type filter cannot use "{field_name}" on type "{kind}", use '
                      f'"{expected}" instead')


def _property(col: Collection, name: str) -> dict[str, Any]:
    prop = col.properties.get(name)
    if prop is None:
        raise _reject(f"no such prop with name '{name}' found in class '{col.name}' in the "
                      "schema. Check your schema files for which properties in this class are "
                      "available")
    return prop
