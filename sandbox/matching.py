"""How a where-filter leaf matches stored values: tokens, comparisons, geo ranges, dates.

Text comparisons honour the property's tokenization, as the inverted index does;
array properties match when any element matches. Dates are read as Go's
``time.Parse(time.RFC3339, ...)`` reads them, with its error texts.
"""

from __future__ import annotations

import calendar
import fnmatch
import math
import re
from collections.abc import Callable
from typing import Any

from sandbox.http import go_quote
from sandbox.store import StoredObject

Predicate = Callable[[StoredObject], bool]
CONTAINS = {"ContainsAny", "ContainsAll", "ContainsNone"}
RFC3339 = "2006-01-02T15:04:05Z07:00"
# The layout's pieces in order: (layout element, digits pattern or None for a literal,
# highest value); the hour takes one or two digits, as Go's getnum(value, false) does.
_LAYOUT = (("2006", r"\d{4}", 0), ("-", None, 0), ("01", r"\d\d", 12), ("-", None, 0),
           ("02", r"\d\d", 31), ("T", None, 0), ("15", r"\d\d?", 23), (":", None, 0),
           ("04", r"\d\d", 59), (":", None, 0), ("05", r"\d\d", 59))
_RANGE_NAMES = {"01": "month", "02": "day", "15": "hour", "04": "minute", "05": "second"}
_ZONE = re.compile(r"Z|[+-]\d\d:\d\d")


class DateError(ValueError):
    """A value ``time.Parse(time.RFC3339, ...)`` refuses; ``str()`` is Go's error text."""


def rfc3339_ms(value: str) -> float:
    """Milliseconds since the epoch of an RFC3339 date, or ``DateError`` with Go's message
    (``parsing time "x" as "2006-01-02T15:04:05Z07:00": cannot parse "x" as "2006"``,
    ``...: month out of range``, ``...: extra text: ...``)."""
    rest, numbers = value, []

    def fail(detail: str) -> DateError:
        return DateError(f"parsing time {go_quote(value)}{detail}")

    def cannot(elem: str) -> DateError:
        return fail(f" as {go_quote(RFC3339)}: cannot parse {go_quote(rest)} as {go_quote(elem)}")

    for elem, digits, top in _LAYOUT:
        if digits is None:
            if not rest.startswith(elem):
                raise cannot(elem)
            rest = rest[len(elem):]
            continue
        found = re.match(digits, rest)
        if found is None:
            raise cannot(elem)
        rest, number = rest[found.end():], int(found.group(0))
        numbers.append(number)
        if number > top > 0 or (elem == "01" and number == 0):
            raise fail(f": {_RANGE_NAMES[elem]} out of range")
    fraction = re.match(r"[.,]\d+", rest)
    millis = float("0." + fraction.group(0)[1:]) * 1000 if fraction else 0.0
    rest = rest[fraction.end():] if fraction else rest
    zone = _ZONE.match(rest)
    if zone is None:
        raise cannot("Z07:00")
    rest = rest[zone.end():]
    if rest:
        raise fail(f": extra text: {go_quote(rest)}")
    year, month, day, hour, minute, second = numbers
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise fail(": day out of range")
    offset = 0 if zone.group(0) == "Z" else \
        (1 if zone.group(0)[0] == "+" else -1) * (int(zone.group(0)[1:3]) * 60
                                                   + int(zone.group(0)[4:6]))
    epoch = calendar.timegm((year, month, day, hour, minute, second)) - offset * 60
    return epoch * 1000 + millis


def date_values(value: Any) -> Any:
    """A stored date (or date array) property as milliseconds."""
    if isinstance(value, list):
        return [rfc3339_ms(v) for v in value]
    return None if value is None else rfc3339_ms(value)


def length(value: Any) -> int:
    """A property's length as ``len(prop)`` filters see it."""
    return len(value) if isinstance(value, str | list) else 0


def _tokens(text: str, tokenization: str) -> list[str]:
    if tokenization == "field":
        return [text.strip()]
    if tokenization == "whitespace":
        return text.split()
    if tokenization == "lowercase":
        return text.lower().split()
    return [t for t in re.split(r"[^0-9A-Za-z\u00c0-\uffff]+", text.lower()) if t]


def _distance_m(a: dict[str, float], b: dict[str, float]) -> float:
    lat1, lon1, lat2, lon2 = map(math.radians, (a["latitude"], a["longitude"],
                                                b["latitude"], b["longitude"]))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
    return 2 * 6371000 * math.asin(math.sqrt(h))


def within(pname: str, center: dict[str, float], max_m: float) -> Predicate:
    """``WithinGeoRange``: the property lies at most ``max_m`` metres from ``center``."""
    return lambda o: (o.properties.get(pname) is not None
                      and _distance_m(o.properties[pname], center) <= max_m)


def compare(op: str, get: Callable[[StoredObject], Any], value: Any,
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
    ordering = {"GreaterThan": lambda a, b: a > b, "GreaterThanEqual": lambda a, b: a >= b,
                "LessThan": lambda a, b: a < b, "LessThanEqual": lambda a, b: a <= b}[op]

    def ordered(o: StoredObject) -> bool:
        current = get(o)
        items = current if isinstance(current, list) else [current]
        return any(item is not None and ordering(item, value) for item in items)

    return ordered
