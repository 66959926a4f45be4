"""GraphQL queries as typed: send one to ``POST /v1/graphql``, turn its ``data`` into tables.

Weaviate answers GraphQL errors with HTTP 200 and an ``errors`` list (REST-BEHAVIOUR.md
§10); each becomes one line naming its path and place in the query. It marshals each
object's fields sorted by name, so table columns are put back in the order the query
selects them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from commands.api.client import RestClient
from commands.api.forbidden import denial_hint
from commands.errors import ShellError
from commands.graphql_text import ROOTS
from commands.results import Message, Record, Table

_BARE_ROOT = re.compile(r"\s*(" + "|".join(ROOTS) + r")(?![\w$])")
_PLACE = re.compile(r"(?<=GraphQL request )\((\d+):(\d+)\)")  # a syntax error's LINE:COLUMN
_NAMES_HINT = r"\ls lists the collections, \show NAME a collection's properties"
READ_ONLY = ("Weaviate's GraphQL has no mutations: it reads (Get, Aggregate, Explore); "
             "objects are written through its REST API")


class GraphQLFailed(ShellError):
    """The server's GraphQL errors, one line each."""


def full_query(query: str) -> tuple[str, int]:
    """The query as Weaviate requires it, and the lines added before it: a bare
    ``Get {...}`` or ``Aggregate {...}`` is wrapped in the ``{ }`` of an anonymous query, on
    lines of their own so that the columns of errors stay those of what was typed."""
    text = query.strip()
    return ("{\n" + text + "\n}", 1) if _BARE_ROOT.match(text) else (text, 0)


@dataclass(frozen=True, slots=True)
class Answer:
    """What a query brought back: its ``data``, and when Weaviate answered only part of it
    (a resolver error: that field is null, the rest answered), the errors as lines."""

    data: dict[str, Any]
    warnings: list[str]
    failed: frozenset[tuple[str, ...]] = frozenset()
    """The paths of the fields that failed (their null is no value to show)."""
    hint: str | None = None
    """What to do about the errors (a missing permission: how to grant it)."""


def run_query(api: RestClient, query: str) -> Answer:
    """The answer to ``query``; GraphQL errors with nothing answered raise ``GraphQLFailed``."""
    text, added = full_query(query)
    body = api.request("POST", "/v1/graphql", json={"query": text}, idempotent=True).json()
    errors = body.get("errors") or []
    lines = [error_line(e, added) for e in errors]
    data = body.get("data") or {}
    if errors and not _answered(data):
        raise GraphQLFailed("\n".join(lines), _hint(text, lines))
    failed = frozenset(tuple(str(p) for p in e["path"]) for e in errors
                       if isinstance(e, dict) and isinstance(e.get("path"), list))
    return Answer(data, lines, failed, _hint(text, lines))


def _answered(value: Any) -> bool:
    """Whether ``data`` holds anything but the nulls of fields that failed."""
    if isinstance(value, dict):
        return any(_answered(item) for item in value.values())
    return value is not None


def error_line(error: Any, added: int = 0) -> str:
    """``message (path Get.Article; line 1, column 9)`` for one entry of ``errors``; lines
    counted in what was typed (``added`` lines were put before it). A syntax error's
    excerpt of the query (after a blank line) is left out: the place says where."""
    if not isinstance(error, dict):
        return str(error)
    where = []
    if error.get("path"):
        where.append("path " + ".".join(str(p) for p in error["path"]))
    where += [f"line {loc.get('line', 0) - added}, column {loc.get('column')}"
              for loc in error.get("locations") or [] if isinstance(loc, dict)]
    message = str(error.get("message", "")).split("\n\n")[0]
    message = _PLACE.sub(lambda m: f"({int(m[1]) - added}:{m[2]})", " ".join(message.split()))
    return f"{message} ({'; '.join(where)})" if where else message


def _hint(query: str, lines: list[str]) -> str | None:
    if query.startswith("mutation"):
        return READ_ONLY
    for line in lines:
        if hint := denial_hint(line):
            return hint
        if 'on type "GetObjectsObj"' in line or 'on type "AggregateObjectsObj"' in line:
            return _NAMES_HINT
    return None


def tables(data: dict[str, Any], query: str,
           failed: frozenset[tuple[str, ...]] = frozenset()) -> list[Table | Record | Message]:
    """A table per list of objects in ``data`` (``Get.Article``, ``Aggregate.Article``),
    nested fields flattened as ``_additional.id``; plain values (``__typename``) in one
    Record; the fields at a ``failed`` path are left out."""
    found: list[Table | Record | Message] = []
    plain: dict[str, Any] = {}
    _walk(data, (), query, found, plain, failed)
    if plain:
        found.append(Record(plain, title="data"))
    lists = [i for i, result in enumerate(found) if isinstance(result, Table)]
    if len(lists) == 1:  # one list needs no title
        found[lists[0]] = Table(found[lists[0]].columns, found[lists[0]].rows)
    return found


def _walk(value: dict[str, Any], path: tuple[str, ...], query: str,
          found: list[Table | Record | Message], plain: dict[str, Any],
          failed: frozenset[tuple[str, ...]]) -> None:
    for key, item in value.items():
        where = (*path, key)
        if where in failed:
            continue
        if isinstance(item, dict):
            _walk(item, where, query, found, plain, failed)
        elif isinstance(item, list) and not item:
            found.append(Message(f"{' '.join(where)}: no objects"))
        elif isinstance(item, list) and all(isinstance(row, dict) for row in item):
            rows = [_flat(row) for row in item]
            columns = _ordered(list(dict.fromkeys(k for row in rows for k in row)), query)
            cells = tuple(tuple(row.get(c) for c in columns) for row in rows)
            # titled by the collection (what follows Get or Aggregate)
            found.append(Table(tuple(columns), cells, title=" ".join(where[1:]) or key))
        else:
            plain[".".join(where)] = item


def _flat(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested objects as dotted columns: ``{"_additional": {"id": X}}`` -> ``_additional.id``."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict) and value:
            out.update(_flat(value, f"{prefix}{key}."))
        else:
            out[prefix + key] = value
    return out


def _ordered(columns: list[str], query: str) -> list[str]:
    """Columns in the order the query names them (a column it does not name goes last)."""
    def place(column: str) -> tuple[int, ...]:
        at, spots = 0, []
        for part in column.split("."):
            match = re.compile(rf"(?<![\w$]){re.escape(part)}(?!\w)").search(query, at)
            if match is None:
                return (*spots, len(query) + 1)
            spots.append(match.start())
            at = match.end()
        return tuple(spots)

    return sorted(columns, key=place)
