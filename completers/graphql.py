"""Completion inside a GraphQL query typed at the prompt (bare, or after ``\\graphql``).

The text before the cursor is scanned once into a stack of open brackets: selections
(``Get { Article { ...``), argument lists (``Article(...``), input objects (``where: {...``)
and lists (``path: [...``). The innermost one decides what is offered: the root fields,
collection names after ``Get {`` / ``Aggregate {``, a collection's properties (and
``_additional``, ``meta``) inside its braces, its arguments (``where``, ``nearText``,
``bm25``, ``hybrid``, ``limit`` ...), the fields of those inputs (``path``, ``operator``,
``valueText``, ``concepts`` ...), the ``operator`` values and, inside ``path: ["``, property
names. Names come from the completion cache's snapshot only, never from the network.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from prompt_toolkit.completion import Completion

from commands.graphql_text import is_entry
from completers.metadata import MetadataSnapshot
from completers.names import Found, scan

__all__ = ["completions", "query_start"]

ROOT_FIELDS = {"Get": "objects of a collection", "Aggregate": "counts and statistics",
               "Explore": "search across collections"}
ADDITIONAL = ("id", "distance", "certainty", "score", "explainScore", "vector",
              "creationTimeUnix", "lastUpdateTimeUnix", "isConsistent", "classification",
              "group")
AGGREGATIONS = ("count", "type", "topOccurrences", "mean", "median", "mode", "maximum",
                "minimum", "sum", "totalTrue", "totalFalse", "percentageTrue",
                "percentageFalse", "pointingTo")
GET_ARGS = ("where", "nearText", "nearVector", "nearObject", "bm25", "hybrid", "limit",
            "offset", "after", "sort", "groupBy", "autocut", "tenant", "consistencyLevel")
AGGREGATE_ARGS = ("where", "nearText", "nearVector", "nearObject", "hybrid", "limit",
                  "objectLimit", "groupBy", "tenant")
OPERATORS = ("Equal", "NotEqual", "GreaterThan", "GreaterThanEqual", "LessThan",
             "LessThanEqual", "Like", "IsNull", "ContainsAny", "ContainsAll", "ContainsNone",
             "WithinGeoRange", "And", "Or", "Not")
WHERE = ("path", "operator", "operands", "valueText", "valueInt", "valueNumber",
         "valueBoolean", "valueDate", "valueTextArray", "valueIntArray", "valueNumberArray",
         "valueBooleanArray", "valueDateArray", "valueGeoRange")
# the fields of each input object, by the argument (or field) that holds it
INPUTS: dict[str, tuple[str, ...]] = {
    "where": WHERE, "operands": WHERE,
    "nearText": ("concepts", "distance", "certainty", "moveTo", "moveAwayFrom",
                 "targetVectors"),
    "nearVector": ("vector", "distance", "certainty", "targetVectors"),
    "nearObject": ("id", "beacon", "distance", "certainty", "targetVectors"),
    "bm25": ("query", "properties"),
    "hybrid": ("query", "alpha", "vector", "properties", "fusionType", "targetVectors",
               "maxVectorDistance"),
    "moveTo": ("concepts", "objects", "force"), "moveAwayFrom": ("concepts", "objects", "force"),
    "sort": ("path", "order"),
    "groupBy": ("path", "groups", "objectsPerGroup"),
}
# values offered after ``key:``
VALUES: dict[str, tuple[str, ...]] = {
    "operator": OPERATORS, "fusionType": ("rankedFusion", "relativeScoreFusion"),
    "order": ("asc", "desc"), "consistencyLevel": ("ONE", "QUORUM", "ALL"),
    "valueBoolean": ("true", "false"),
}

_START = re.compile(r"(?<![\w$\\-])(\{|(?:Get|Aggregate|Explore|query)(?![\w$]))")
_TOKEN = re.compile(r'"(?:\\.|[^"\\\n])*("?)|#[^\n]*|[_A-Za-z][_0-9A-Za-z]*|-?\d[\d.eE+-]*'
                    r"|\.\.\.|[{}()\[\]:,$!=@]|\s+|.")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_PARTIAL = re.compile(r"[_A-Za-z][_0-9A-Za-z]*\Z")


@dataclass(slots=True)
class _Frame:
    kind: str  # sel, args, obj, list
    name: str  # the field (sel, args) or the argument key (obj, list) it belongs to
    key: str = ""  # the last key of an args/obj frame
    value: bool = False  # after "key:", before the value


def query_start(text: str) -> int | None:
    """Where the GraphQL query in ``text`` (a bare query or ``\\graphql [options] QUERY``)
    begins, or None when ``text`` is not one (yet)."""
    if not is_entry(text):
        return None
    match = _START.search(text)
    return match.start() if match else None


def completions(text: str, snapshot: MetadataSnapshot, limit: int = 100) -> Iterator[Completion]:
    """Completions at the end of ``text``, a GraphQL entry (see ``query_start``)."""
    start = query_start(text)
    if start is None:
        return
    query = text[start:]
    open_string = _open_string(query)
    prefix = open_string if open_string is not None else \
        (m[0] if (m := _PARTIAL.search(query)) else "")
    stack = _scan(query[:len(query) - len(prefix) - (open_string is not None)])
    if open_string is not None:
        yield from _in_string(stack, prefix, snapshot, limit)
    else:
        yield from _offered(stack, prefix, snapshot, limit)


def _open_string(query: str) -> str | None:
    """The text of a string left open at the end of ``query`` (``path: ["ti``), else None."""
    last = None
    for match in _TOKEN.finditer(query):
        last = match
    if last is None or not last[0].startswith('"') or last[1]:
        return None
    return last[0][1:]


def _scan(query: str) -> list[_Frame]:
    """The brackets open at the end of ``query``, outermost first."""
    stack: list[_Frame] = []
    field = ""  # the last field named in a selection
    tokens = [m[0] for m in _TOKEN.finditer(query) if not m[0].isspace() and m[0][0] != "#"]
    for i, token in enumerate(tokens):
        top = stack[-1] if stack else None
        if _NAME.fullmatch(token):
            if top is None:
                if token in ROOT_FIELDS:  # Get {...} typed without the outer braces
                    stack.append(_Frame("sel", ""))
                    field = token
            elif top.kind == "sel":
                field = token
            elif top.kind in ("args", "obj") and i + 1 < len(tokens) and tokens[i + 1] == ":" \
                    and not top.value:
                top.key = token
            elif top.kind in ("args", "obj"):
                top.value = False
        elif token == ":" and top is not None and top.kind in ("args", "obj"):
            top.value = True
        elif token == "{":
            if top is None or top.kind == "sel":
                stack.append(_Frame("sel", field if top is not None else ""))
            else:
                stack.append(_Frame("obj", top.key if top.kind != "list" else top.name))
        elif token == "(":
            if top is not None and top.kind == "sel":
                stack.append(_Frame("args", field))
            else:  # the variables of ``query Name($x: String)``
                stack.append(_Frame("vars", ""))
        elif token == "[" and top is not None:
            stack.append(_Frame("list", top.key if top.kind != "list" else top.name))
        elif token in "})]" and stack:
            stack.pop()
            if stack and stack[-1].kind in ("args", "obj"):
                stack[-1].value = False
        elif top is not None and top.kind in ("args", "obj") and token != ",":
            top.value = False  # a number, a string, a $variable
    return stack


def _selections(stack: list[_Frame]) -> list[str]:
    """The fields whose selections are open, from ``Get`` or ``Aggregate`` inwards."""
    return [f.name for f in stack if f.kind == "sel"][1:]


def _collection(stack: list[_Frame]) -> tuple[str, str] | None:
    """``(root, collection)`` of the class being queried (``Get``, ``Article``), if any."""
    names = [f.name for f in stack if f.kind in ("sel", "args")]
    for root, cls in zip(names[1:], names[2:], strict=False):
        if root in ("Get", "Aggregate"):
            return root, cls
    return None


def _offered(stack: list[_Frame], prefix: str, snapshot: MetadataSnapshot,
             limit: int) -> Iterator[Completion]:
    if not stack:
        if not prefix:
            return
        yield from _words(ROOT_FIELDS.items(), prefix)
        return
    top = stack[-1]
    found = _collection(stack)
    if top.kind == "sel":
        path = _selections(stack)
        if not path:
            yield from _words(ROOT_FIELDS.items(), prefix)
        elif path[-1] in ("Get", "Aggregate") and len(path) == 1:
            yield from _limited(snapshot.names("collections").find(prefix), prefix, limit,
                                "collection")
        elif found is not None and len(path) == 2:
            root, cls = found
            extra = ("_additional",) if root == "Get" else ("meta", "groupedBy")
            yield from _properties(snapshot, cls, prefix, limit)
            yield from _words(((w, "") for w in extra), prefix)
        elif found is not None and len(path) == 3:
            if found[0] == "Get" and path[-1] == "_additional":
                yield from _words(((w, "_additional") for w in ADDITIONAL), prefix)
            elif found[0] == "Aggregate":
                words = ("count",) if path[-1] == "meta" else AGGREGATIONS
                yield from _words(((w, "aggregation") for w in words), prefix)
        return
    if top.kind == "args" and found is not None and top.name == found[1]:
        if top.value:
            yield from _words(((w, top.key) for w in VALUES.get(top.key, ())), prefix)
        else:
            args = GET_ARGS if found[0] == "Get" else AGGREGATE_ARGS
            yield from _words(((w, "argument") for w in args), prefix)
        return
    if top.kind == "obj":
        if top.value:
            yield from _words(((w, top.key) for w in VALUES.get(top.key, ())), prefix)
        else:
            yield from _words(((w, top.name) for w in INPUTS.get(top.name, ())), prefix)


def _in_string(stack: list[_Frame], prefix: str, snapshot: MetadataSnapshot,
               limit: int) -> Iterator[Completion]:
    """Inside ``path: ["...`` (where, sort, groupBy) or ``properties: ["...``: properties."""
    found = _collection(stack)
    if stack and stack[-1].kind == "list" and stack[-1].name in ("path", "properties") \
            and found is not None:
        yield from _properties(snapshot, found[1], prefix, limit)


def _properties(snapshot: MetadataSnapshot, collection: str, prefix: str,
                limit: int) -> Iterator[Completion]:
    name = snapshot.resolve(collection)
    if name is not None and name in snapshot.properties:
        yield from _limited(scan(snapshot.properties[name], prefix), prefix, limit)


def _limited(found: Found, prefix: str, limit: int, meta: str = "") -> Iterator[Completion]:
    for shown, (name, text) in enumerate(found.names):
        if shown == limit:
            yield Completion("", display=f"… {found.total - shown:,} more",
                             display_meta="type more to narrow")
            return
        yield Completion(name, start_position=-len(prefix), display_meta=text or meta)


def _words(words: Iterable[tuple[str, str]], prefix: str) -> Iterator[Completion]:
    key = prefix.lower()
    for word, meta in words:
        if word.lower().startswith(key):
            yield Completion(word, start_position=-len(prefix), display_meta=meta)
