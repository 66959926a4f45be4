"""RBAC on ``POST /v1/graphql`` (and its batch): every request needs ``read_collections`` on
all collections, else a 403 before the query is read (adapters/handlers/rest/
handlers_graphql.go: "All requests to the graphQL API need at least permissions to read the
schema"); then each ``Get``/``Aggregate`` class needs ``read_data`` on the class in the
queried tenant (adapters/handlers/graphql/local/get/class_builder_fields.go,
aggregate/resolver.go: ``ShardsData(className, tenant)``). A denied class resolves to null
with the forbidden message as a GraphQL error, the other classes answer as usual."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from sandbox import permissions as perms
from sandbox.classes import upper_first
from sandbox.graphql_parser import GraphQLError
from sandbox.http import Request, Response, dumps, error

if TYPE_CHECKING:
    from sandbox.state import State

_TOKEN = re.compile(r'\s*(?:(?P<name>[A-Za-z_]\w*)|(?P<string>"(?:\\.|[^"\\])*")|(?P<p>.))',
                    re.S)
_OPERATIONS = ("Get", "Aggregate")


def targets(query: str) -> list[tuple[str, str, str]]:
    """``(operation, class, tenant)`` for every class selected under Get or Aggregate."""
    tokens = [(m.lastgroup, m.group(m.lastgroup or "p")) for m in _TOKEN.finditer(query)
              if m.lastgroup]
    found: list[tuple[str, str, str]] = []
    depth, operation, i = 0, "", 0
    while i < len(tokens):
        kind, text = tokens[i]
        if text == "{":
            depth += 1
        elif text == "}":
            depth -= 1
            operation = operation if depth >= 2 else ""
        elif kind == "name" and depth == 1 and text in _OPERATIONS:
            operation = text
        elif kind == "name" and depth == 2 and operation:
            tenant, i = _tenant_argument(tokens, i + 1)
            found.append((operation, upper_first(text), tenant))
            continue
        i += 1
    return found


def _tenant_argument(tokens: list[tuple[str | None, str]], i: int) -> tuple[str, int]:
    """The ``tenant: "x"`` argument of a class selection, and where its arguments end."""
    if i >= len(tokens) or tokens[i][1] != "(":
        return "", i
    tenant, nesting = "", 0
    while i < len(tokens):
        text = tokens[i][1]
        nesting += {"(": 1, ")": -1}.get(text, 0)
        if (text == "tenant" and i + 2 < len(tokens) and tokens[i + 1][1] == ":"
                and tokens[i + 2][0] == "string"):
            tenant = orjson.loads(tokens[i + 2][1])
        i += 1
        if nesting == 0:
            break
    return tenant, i


def _denied(app: State, request: Request, query: str) -> list[tuple[str, str, str]]:
    """``(operation, class, message)`` for each selected class the caller may not read."""
    found = []
    for operation, cls, tenant in targets(query):
        denial = app.rbac.denial(request.user or "", perms.READ, *perms.shards_data(cls, tenant))
        if denial:
            found.append((operation, cls, denial))
    return found


def _null_denied(body: dict[str, Any], denied: list[tuple[str, str, str]]) -> dict[str, Any]:
    data = body.get("data") or {}
    for operation, cls, _ in denied:
        data.setdefault(operation, {})
        if isinstance(data[operation], dict):
            data[operation][cls] = None
    errors = [GraphQLError(m, None, [op, cls]).to_json() for op, cls, m in denied]
    return {**body, "data": data, "errors": (body.get("errors") or []) + errors}


def graphql_guard(app: State, request: Request,
                  queries: list[str]) -> Response | Callable[[Response], Response] | None:
    """A 403 for a caller who may not read every collection's definition; else a filter
    nulling the classes the caller may not read in a query's answer (``queries`` of one
    item) or in each answer of a batch, or None when everything is allowed."""
    schema_denial = app.rbac.denial(request.user or "", perms.READ, *perms.collections_metadata())
    if schema_denial:
        return error(403, schema_denial)
    denied = [_denied(app, request, q) for q in queries]
    if not any(denied):
        return None

    def null_denied(response: Response) -> Response:
        if response.status != 200 or not response.body:
            return response
        body = orjson.loads(response.body)
        if isinstance(body, list):
            body = [_null_denied(b, d) if d and isinstance(b, dict) else b
                    for b, d in zip(body, denied, strict=False)]
        else:
            body = _null_denied(body, denied[0])
        return Response(200, dumps(body), response.headers)
    return null_denied
