"""``POST /v1/graphql`` and ``POST /v1/graphql/batch`` (REST-BEHAVIOUR.md §10).

The sandbox lists objects, ``{ Get { Article(limit: 5) { title _additional { id } } } }``
(scalar properties, ``_additional`` ids and times; ``limit``, ``offset``, ``tenant``), and
answers exact object counts: ``{ Aggregate { Article(tenant: "t1") { meta { count } } } }``,
several classes (or collection aliases) per query, GraphQL aliases, ``__typename``,
operation names and ``String`` variables for ``tenant``; and the introspection of one
modelled type, ``__type(name: "GetObjectsObj") { fields { name } }``
(sandbox.graphql_introspect).

Validation follows the rules and texts of tailor-platform/graphql v0.6.0 (what Weaviate
1.32-1.39 run) for the part of Weaviate's schema the sandbox models (sandbox.graphql_types).
Validation errors carry ``"path": null`` and no data; a multi-tenancy error is a resolver
error: partial data (``null`` for the class) plus the response path. Object keys in
``data`` are sorted, as Go marshals its maps. Valid queries the sandbox does not emulate
(searches and filters, Explore, property aggregations, fragments, directives,
``__schema``) answer HTTP 200 with an ``errors`` entry whose message starts ``sandbox:``;
the handler never fails with a 500.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING, Any

import orjson

from sandbox import graphql_introspect as introspect
from sandbox.graphql_parser import Field, GraphQLError, Operation, Parser, Value, location
from sandbox.graphql_suggest import suggest
from sandbox.graphql_types import AGGREGATE, GET, GET_DEFAULT_LIMIT, ROOT, SCALARS, FieldDef, Types
from sandbox.http import (
    Request,
    Response,
    fail,
    go_kind,
    go_type,
    go_value,
    json_response,
    parse_error,
)
from sandbox.store import Collection, Database, StoredObject, TenantError

if TYPE_CHECKING:
    from sandbox.state import State

Observe = Callable[[str, str, float], None]  # class name, query type, milliseconds

NO_PROVIDER = ("no graphql provider present, this is most likely because no schema is "
               "present. Import a schema first")
BATCH_422 = "422: The request is well-formed but was unable to be followed due to semantic errors."
ONLY = ("; the sandbox answers Get { <Class>(limit, offset, tenant) { <scalar properties> "
        "_additional { id creationTimeUnix lastUpdateTimeUnix } } }, "
        "Aggregate { <Class> { meta { count } } } and "
        '__type(name: "T") { name kind fields { name } } only')
ARG_TYPES = {"tenant": "String", "limit": "Int", "offset": "Int"}


class Run:
    """Validation and execution of one request against one snapshot of the database."""

    def __init__(self, db: Database, src: str, observe: Observe | None = None) -> None:
        self.db, self.src, self.observe = db, src, observe
        self.types = Types(db)
        self.errors: list[GraphQLError] = []
        self.refused: list[GraphQLError] = []
        self.uses: list[tuple[str, int, bool]] = []  # variable, offset, in the tenant position

    def report(self, message: str, *positions: int, path: list[str] | None = None) -> None:
        self.errors.append(GraphQLError(message, [location(self.src, p) for p in positions],
                                        path))

    def refuse(self, what: str, pos: int) -> None:
        self.refused.append(GraphQLError(f"sandbox: {what} not emulated{ONLY}",
                                         [location(self.src, pos)]))

    def validate(self, definitions: list[Operation]) -> None:
        """Collect every validation error of the document (all operations)."""
        operations = [d for d in definitions if d.kind != "fragment"]
        seen: dict[str, int] = {}
        for op in definitions:
            if op.kind == "fragment":
                self.refuse("fragments are", op.start)
                continue
            if op.name is None and len(operations) > 1:
                self.report("This anonymous operation must be the only defined operation.",
                            op.start)
            if op.name is not None and op.name in seen:
                self.report(f'There can only be one operation named "{op.name}".',
                            seen[op.name], op.start)
            seen.setdefault(op.name or "", op.start)
            if op.directives:
                self.refuse("directives are", op.start)
            self._operation(op)

    def _operation(self, op: Operation) -> None:
        self.uses = []
        for vd in op.var_defs:
            if vd.base not in SCALARS:
                self.report(f'Unknown type "{vd.base}".', vd.start)
            elif vd.default is not None and vd.type_label.endswith("!"):
                self.report(f'Variable "${vd.name}" of type "{vd.type_label}" is required and '
                            "will not use the default value. Perhaps you meant to use type "
                            f'"{vd.type_label[:-1]}".', vd.default.start)
            elif vd.default is not None and vd.type_label == "String" \
                    and vd.default.kind != "String":
                shown = vd.default.print()
                self.report(f'Variable "${vd.name}" has invalid default value: {shown}.\n'
                            f'Expected type "String", found {shown}.', vd.default.start)
        if op.kind == "query":
            self.check(op.selections, ROOT)
        defined = {vd.name: vd for vd in op.var_defs}
        by_op, in_op = (f' by operation "{op.name}"', f' in operation "{op.name}"') \
            if op.name else ("", "")
        for name, pos, _ in self.uses:
            if name not in defined:
                self.report(f'Variable "${name}" is not defined{by_op}.', pos, op.start)
        used = {use[0] for use in self.uses}
        for vd in op.var_defs:
            if vd.name not in used:
                self.report(f'Variable "${vd.name}" is never used{in_op}.', vd.start)
        for name, pos, tenant in self.uses:
            vd = defined.get(name)
            if tenant and vd and vd.base in SCALARS and vd.type_label.rstrip("!") != "String":
                self.report(f'Variable "${name}" of type "{vd.type_label}" used in position '
                            'expecting type "String".', vd.start, pos)

    def _variables(self, value: Value, tenant: bool) -> None:
        if value.kind == "Variable":
            self.uses.append((value.value, value.start, tenant))
        elif value.kind in ("List", "Object"):
            for item in value.value:
                self._variables(item if value.kind == "List" else item[1], False)

    def _subtree_variables(self, selections: list[Field]) -> None:
        for sel in selections:
            for _, value, _ in sel.args:
                self._variables(value, False)
            self._subtree_variables(sel.selections or [])

    def check(self, selections: list[Field], type_name: str) -> None:
        """FieldsOnCorrectType, ScalarLeafs, KnownArgumentNames, ArgumentsOfCorrectType."""
        fields = self.types[type_name]
        for sel in selections:
            if not sel.name:
                self.refuse("fragments are", sel.start)
                continue
            if sel.directives:
                self.refuse("directives are", sel.start)
            fdef = FieldDef("String!") if sel.name == "__typename" else fields.get(sel.name)
            if fdef is None:
                if type_name == ROOT and sel.name == "__type":
                    introspect.check(self, sel, type_name)
                elif type_name == ROOT and sel.name == "__schema":
                    self.refuse("introspection is", sel.start)
                else:
                    self.report(f'Cannot query field "{sel.name}" on type "{type_name}".'
                                + suggest(sel.name, fields), sel.start)
                continue
            if not fdef.emulated:
                self.refuse(f'"{sel.name}" is', sel.start)
                self._subtree_variables([sel])
                continue
            if fdef.inner is None and sel.selections is not None:
                self.report(f'Field "{sel.name}" of type "{fdef.type_label}" must not have a '
                            "sub selection.", sel.selections_start)
            elif fdef.inner is not None and sel.selections is None:
                self.report(f'Field "{sel.name}" of type "{fdef.type_label}" must have a sub '
                            "selection.", sel.start)
            for name, value, pos in sel.args:
                self._variables(value, name == "tenant" and name in fdef.args)
                if name not in fdef.args:
                    self.report(f'Unknown argument "{name}" on field "{sel.name}" of type '
                                f'"{type_name}".' + suggest(name, fdef.args), pos)
                elif name not in fdef.emulated_args or (name != "tenant"
                                                         and value.kind == "Variable"):
                    self.refuse(f'the "{name}" argument is', pos)
                elif value.kind not in (ARG_TYPES[name], "Variable"):
                    shown = value.print()
                    self.report(f'Argument "{name}" has invalid value {shown}.\nExpected type '
                                f'"{ARG_TYPES[name]}", found {shown}.', value.start)
            if fdef.inner is not None and sel.selections is not None:
                self.check(sel.selections, fdef.inner)

    def execute(self, op: Operation, variables: dict[str, Any]) -> dict[str, Any]:
        """The ``data`` of one validated query operation; resolver errors go to ``errors``."""
        values = self._coerce(op, variables)
        data: dict[str, Any] = {}
        for sel in op.selections:
            data[sel.key] = ROOT if sel.name == "__typename" else \
                introspect.resolve(self.types, sel) if sel.name == "__type" else \
                self._get(sel, values) if sel.name == "Get" else self._aggregate(sel, values)
        return data

    def _classes(self, sel: Field, values: dict[str, Any], root: str, kind: str,
                 answer: Callable[[Field, str, Collection, str | None], Any]) -> dict[str, Any]:
        """``answer(class field, its object type, collection, tenant)`` for each class
        selected under ``Get`` or ``Aggregate``; a class the ``tenant`` argument may not
        read is ``null``, with a resolver error at its path."""
        out: dict[str, Any] = {}
        for cls in sel.selections or []:
            if cls.name == "__typename":
                out[cls.key] = root
                continue
            fdef = self.types[root][cls.name]
            col = fdef.col
            assert col is not None and fdef.inner is not None
            tenant = None
            for name, value, _ in cls.args:
                if name == "tenant":
                    tenant = values.get(value.value) if value.kind == "Variable" else value.value
            try:
                col.require_tenant(tenant if col.multi_tenant else None)
            except TenantError as exc:
                self.report(str(exc), cls.start, path=[sel.key, cls.key])
                out[cls.key] = None
                continue
            started = time.perf_counter()
            out[cls.key] = answer(cls, fdef.inner, col, tenant if col.multi_tenant else None)
            if self.observe is not None:
                self.observe(col.name, kind, (time.perf_counter() - started) * 1000)
        return out

    def _get(self, sel: Field, values: dict[str, Any]) -> dict[str, Any]:
        """``Get { <Class>(limit, offset) { ... } }``: objects in id order [INFERRED: Weaviate
        lists an unfiltered Get in its own index order]."""
        def objects(cls: Field, inner: str, col: Collection,
                    tenant: str | None) -> list[dict[str, Any]]:
            args = {name: int(value.value) for name, value, _ in cls.args if value.kind == "Int"}
            offset = args.get("offset", 0)
            found = islice(col.partition(tenant).values(), offset,
                           offset + args.get("limit", GET_DEFAULT_LIMIT))
            return [self._object(cls.selections or [], inner, col.name, obj) for obj in found]

        return self._classes(sel, values, GET, "get_graphql", objects)

    @staticmethod
    def _object(selections: list[Field], type_name: str, cls: str,
                obj: StoredObject) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for sel in selections:
            if sel.name == "__typename":
                out[sel.key] = type_name
            elif sel.name == "_additional":  # validation let only id and the times through
                stored = {"id": obj.id, "creationTimeUnix": str(obj.created),
                          "lastUpdateTimeUnix": str(obj.updated)}
                out[sel.key] = {a.key: f"{cls}Additional" if a.name == "__typename"
                                else stored[a.name] for a in sel.selections or []}
            else:
                out[sel.key] = obj.properties.get(sel.name)
        return out

    def _coerce(self, op: Operation, variables: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        for vd in op.var_defs:
            raw = variables.get(vd.name)
            if raw is not None:
                values[vd.name] = go_value(raw)  # String coerces any input with %v
            elif vd.default is not None:
                values[vd.name] = vd.default.value
            elif vd.type_label.endswith("!"):
                raise GraphQLError(f'Variable "${vd.name}" of required type "{vd.type_label}" '
                                   "was not provided.", [location(self.src, vd.start)])
        return values

    def _aggregate(self, sel: Field, values: dict[str, Any]) -> dict[str, Any]:
        return self._classes(sel, values, AGGREGATE, "aggregate", lambda cls, inner, col, tenant:
                             [self._group(cls.selections or [], inner, col.count(tenant))])

    @staticmethod
    def _group(selections: list[Field], type_name: str, count: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for sel in selections:
            if sel.name == "__typename":
                out[sel.key] = type_name
            else:  # meta: validation let nothing else through
                out[sel.key] = {m.key: f"{type_name}MetaObject" if m.name == "__typename"
                                else count for m in sel.selections or []}
        return out


def _pick(operations: list[Operation], name: str) -> Operation:
    if not name and len(operations) > 1:
        raise GraphQLError("Must provide operation name if query contains multiple operations.",
                           [])
    matches = [op for op in operations if not name or op.name == name]
    if not matches:
        raise GraphQLError(f'Unknown operation named "{name}".' if name
                           else "Must provide an operation.", [])
    return matches[-1]


def _sort_keys(value: Any) -> Any:
    """``value`` with every object's keys sorted, as Go marshals its maps (orjson sorts in C:
    an answer of 10,000 fields stays cheap)."""
    return orjson.loads(orjson.dumps(value, option=orjson.OPT_SORT_KEYS))


def resolve(db: Database, query: str, operation_name: str, variables: dict[str, Any],
            observe: Observe | None = None) -> dict[str, Any]:
    """A GraphQLResponse: parse, validate, execute (the caller holds ``db.lock``);
    ``observe(class, query_type, ms)`` hears of every class queried."""
    try:
        definitions = Parser(query).document()
        run = Run(db, query, observe)
        run.validate(definitions)
        if run.errors or run.refused:
            return {"errors": [e.to_json() for e in run.errors or run.refused]}
        op = _pick([d for d in definitions if d.kind != "fragment"], operation_name)
        if op.kind != "query":
            raise GraphQLError(f"Schema is not configured for {op.kind}s",
                               [location(query, op.start)])
        data = run.execute(op, variables)
    except GraphQLError as exc:
        return {"errors": [exc.to_json()]}
    except RecursionError:
        return {"errors": [GraphQLError("sandbox: query nested too deeply", []).to_json()]}
    out: dict[str, Any] = {"data": _sort_keys(data)}
    if run.errors:
        out["errors"] = [e.to_json() for e in run.errors]
    return out


def _query_body(item: Any, model: str) -> dict[str, Any]:
    """Bind one GraphQLQuery as go-openapi does: type mismatches are 400 parse errors."""
    if item is None:
        return {}
    if not isinstance(item, dict):
        raise parse_error(f"json: cannot unmarshal {go_kind(item)} into Go value of type "
                          f"models.{model}")
    for key in ("operationName", "query"):
        if item.get(key) is not None and not isinstance(item[key], str):
            raise parse_error(f"json: cannot unmarshal {go_kind(item[key])} into Go struct field "
                              f"GraphQLQuery.{key} of type string")
    return item


def _observer(app: State) -> Observe | None:
    return app.metrics.query if app.metrics is not None else None


def post_graphql(app: State, request: Request) -> Response:
    """``POST /v1/graphql``: always 200 once the query reached the GraphQL layer."""
    db = app.db
    body = _query_body(request.json("body"), "GraphQLQuery")
    query = body.get("query") or ""
    if not query:
        raise fail(422, "query cannot be empty")
    variables = body.get("variables")
    if variables is not None and not isinstance(variables, dict):
        raise fail(422, f"variables must be a JSON object, got {go_type(variables)}")
    with db.lock:
        if not db.collections:
            raise fail(422, NO_PROVIDER + "!")
        result = resolve(db, query, body.get("operationName") or "", variables or {},
                         _observer(app))
    return json_response(result)


def post_graphql_batch(app: State, request: Request) -> Response:
    """``POST /v1/graphql/batch``: an array of queries in, an array of responses out."""
    db = app.db
    body = request.json("body")
    if body is not None and not isinstance(body, list):
        raise parse_error(f"json: cannot unmarshal {go_kind(body)} into Go value of type "
                          "models.GraphQLQueries")
    items = [_query_body(item, "GraphQLQuery") for item in body or []]
    if not items:
        return json_response({"error": None}, 422)  # an empty ErrorResponse, as Weaviate sends
    out = []
    with db.lock:
        if not db.collections:
            raise fail(422, NO_PROVIDER)
        for item in items:
            query, variables = item.get("query") or "", item.get("variables")
            if not query:
                out.append({"errors": [GraphQLError(BATCH_422, None).to_json()]})
            elif variables is not None and not isinstance(variables, dict):
                message = f"422: expected map[string]interface{{}}, received {go_value(variables)}"
                out.append({"errors": [GraphQLError(message, None).to_json()]})
            else:
                out.append(resolve(db, query, item.get("operationName") or "",
                                   variables or {}, _observer(app)))
    return json_response(out)


ROUTES = [
    ("POST", "/v1/graphql", post_graphql),
    ("POST", "/v1/graphql/batch", post_graphql_batch),
]
