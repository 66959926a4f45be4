"""``/v1/objects`` endpoints: list with offset or ``after`` cursor, and single-object CRUD (§7).

Checks run in Weaviate's order (limit, sort, class, cursor, tenant) so that a
request with several mistakes gets the same error as from a real server.
"""

from __future__ import annotations

from itertools import islice
from typing import TYPE_CHECKING, Any

from sandbox.classes import upper_first
from sandbox.http import (
    ApiError,
    Request,
    Response,
    empty,
    error,
    fail,
    go_kind,
    json_response,
    parse_error,
    uuid_param,
)
from sandbox.references import References, with_links
from sandbox.store import Collection, Database, ShardRefusal, StoredObject, TenantError, now_ms
from sandbox.uuids import parse_uuid, uuid_error
from sandbox.values import normalize, vectors
from sandbox.writes import check_consistency, invalid, prepare

if TYPE_CHECKING:
    from sandbox.state import State

# How a shard's refusal (ShardRefusal) reaches the client, per code path: all answer 500.
PUT_REFUSED = 'put object: import into index {index}: put local object: shard="{shard}": {error}'
MERGE_REFUSED = ("msg:repo.merge code:500 err:merge into index {index}: update local object: "
                 'shard="{shard}": {error}')
DELETE_REFUSED = ('could not delete object from vector repo: delete from index "{index}": '
                  'delete local object: shard="{shard}": {error}')
DEFAULT_LIMIT = 10
MAX_RESULTS = 10000
INCLUDES = {"vector", "classification"}


def _wrapped(msg: str, code: int, err: str) -> ApiError:
    return fail(422, f"msg:{msg} code:{code} err:{err}")


def require_tenant(col: Collection, tenant: str | None) -> None:
    """``Collection.require_tenant`` with its refusal answered as Weaviate's 422."""
    try:
        col.require_tenant(tenant)
    except TenantError as exc:
        raise fail(422, str(exc)) from None


def _refused(template: str, col: Collection, exc: ShardRefusal) -> ApiError:
    """The 500 for a write the shard refused, worded as ``template``'s code path does."""
    return fail(500, template.format(index=col.name.lower(), shard=exc.shard, error=exc))


def _include_vector(request: Request) -> bool:
    values = [v for v in request.query.get("include", "").split(",") if v]
    for value in values:
        if value not in INCLUDES:
            raise fail(400, f"unrecognized property '{value}' in ?include list")
    return "vector" in values


def _object_id(request: Request) -> str:
    object_id = uuid_param(request.params["id"], "id in path")
    assert object_id is not None  # the route matches non-empty segments only
    return object_id


def _sort_key(col: Collection, sort: str, order: str) -> list[tuple[str, bool]]:
    keys = []
    orders = order.split(",") if order else []
    for i, name in enumerate(sort.split(",")):
        if name not in ("_id", "_creationTimeUnix", "_lastUpdateTimeUnix"):
            prop = col.properties.get(name)
            if prop is None:
                raise _wrapped("sorting", 400, f"no such prop with name '{name}' found in class "
                               f"'{col.name}' in the schema. Check your schema files for which "
                               "properties in this class are available")
            if prop["dataType"][0] in ("uuid", "uuid[]") or prop["dataType"][0][:1].isupper():
                raise _wrapped("sorting", 400, f"sorting by property '{name}' of type "
                               f"{prop['dataType'][0]} is not supported")
        keys.append((name, i < len(orders) and orders[i] == "desc"))
    return keys


def _sorted(objects: list[StoredObject], keys: list[tuple[str, bool]]) -> list[StoredObject]:
    special = {"_id": "id", "_creationTimeUnix": "created", "_lastUpdateTimeUnix": "updated"}
    for name, desc in reversed(keys):
        attr = special.get(name)

        def value(o: StoredObject, name: str = name, attr: str | None = attr) -> Any:
            return getattr(o, attr) if attr else o.properties.get(name)

        present = [o for o in objects if value(o) is not None]
        missing = [o for o in objects if value(o) is None]
        present.sort(key=value, reverse=desc)
        objects = missing + present if not desc else present + missing
    return objects


def list_objects(app: State, request: Request) -> Response:
    """``GET /v1/objects``."""
    db = app.db
    include_vector = _include_vector(request)
    limit = request.int_param("limit")
    offset = request.int_param("offset", 0) or 0
    effective = DEFAULT_LIMIT if limit is None else limit
    class_name = request.query.get("class")
    if not class_name:
        return _list_all_classes(db, request, offset, effective, include_vector)
    if offset < 0 or effective < 0 or offset + effective > MAX_RESULTS:
        raise _wrapped("offset or limit", 400, _max_results(offset, effective))
    after, sort = request.query.get("after"), request.query.get("sort")
    tenant = request.query.get("tenant") or None
    with db.lock:
        col = db.get(class_name)
        keys = _sort_key(col, sort, request.query.get("order", "")) if sort and col else None
        if col is None:
            return empty(404)
        if after is not None:
            _check_cursor(after, limit, offset, sort)
        if effective == 0:
            return json_response({"deprecations": [], "objects": []})
        try:
            col.require_tenant(tenant)
        except TenantError as exc:
            raise _wrapped(f"search index {col.name.lower()}", 422, str(exc)) from None
        part = col.partition(tenant)
        if after is not None:
            start = parse_uuid(after)  # any form google/uuid reads, e.g. 32 hex digits or braces
            ids = islice(part.irange(minimum=start, inclusive=(start is None, True)), effective)
            chosen = [part[i] for i in ids]
        elif keys:
            chosen = _sorted(list(part.values()), keys)[offset:offset + effective]
        else:
            chosen = list(islice(part.values(), offset, offset + effective))
        objects = with_links(col, [o.to_json(col.name, tenant if col.multi_tenant else None,
                                             include_vector) for o in chosen])
    return json_response(_page(objects, deprecations=[]))


def _page(objects: list[dict[str, Any]], deprecations: list | None) -> dict[str, Any]:
    body: dict[str, Any] = {"deprecations": deprecations, "objects": objects}
    if objects:
        body["totalResults"] = len(objects)
    return body


def _max_results(offset: int, limit: int) -> str:
    return (f"query maximum results exceeded: the total limit calculated from the provided "
            f"offset '{offset}' and limit '{limit}' exceeds the configured value for "
            f"QUERY_MAXIMUM_RESULTS '{MAX_RESULTS}'. If you've supplied a negative offset or "
            "limit, this may be an underflow error")


def _check_cursor(after: str, limit: int | None, offset: int, sort: str | None) -> None:
    reason = None
    if limit is None:
        reason = "limit parameter must be set"
    elif offset > 0 or sort:
        bad = ",".join(p for p, used in (("offset", offset > 0), ("sort", bool(sort))) if used)
        reason = f"{bad} cannot be set with after and limit parameters"
    elif after and uuid_error(after):
        reason = f"after parameter '{after}' is not a valid uuid: {uuid_error(after)}"
    if reason:
        raise _wrapped("cursor api: invalid 'after' parameter", 400, reason)


def _list_all_classes(db: Database, request: Request, offset: int, limit: int,
                      include_vector: bool) -> Response:
    """The deprecated class-less listing: non-multi-tenant classes only; errors are 500."""
    if offset < 0 or limit < 0 or offset + limit > MAX_RESULTS:
        raise fail(500, f"list objects: {_max_results(offset, limit)}")
    if request.query.get("after") is not None:
        raise fail(500, "list objects: after parameter not allowed, cursor must be specific to "
                        "one class, set class query param")
    with db.lock:
        found = [linked for c in db.collections.values() if not c.multi_tenant
                 for linked in with_links(c, [o.to_json(c.name, None, include_vector)
                                              for o in c.partition(None).values()])]
    found.sort(key=lambda o: o["id"])
    return json_response(_page(found[offset:offset + limit], deprecations=None))


def _find(db: Database, request: Request,
          tenant: str | None) -> tuple[Collection, StoredObject | None]:
    """The collection and object addressed by a ``/v1/objects/{className}/{id}`` path."""
    object_id = _object_id(request)
    check_consistency(request.query)
    col = db.get(request.params["className"])
    if col is None:
        raise ApiError(empty(404))
    require_tenant(col, tenant)
    return col, col.partition(tenant).get(object_id)


def get_object(app: State, request: Request) -> Response:
    """``GET /v1/objects/{className}/{id}``: 404 without a body for a missing object or class."""
    db = app.db
    include_vector = _include_vector(request)
    with db.lock:
        tenant = request.query.get("tenant") or None
        col, obj = _find(db, request, tenant)
        if obj is None:
            return empty(404)
        return json_response(with_links(col, [obj.to_json(
            col.name, tenant if col.multi_tenant else None, include_vector)])[0])


def head_object(app: State, request: Request) -> Response:
    """``HEAD /v1/objects/{className}/{id}``: 204 or 404."""
    db = app.db
    with db.lock:
        _, obj = _find(db, request, request.query.get("tenant") or None)
    return empty(404 if obj is None else 204)


def create_object(app: State, request: Request) -> Response:
    """``POST /v1/objects``: 422 for a duplicate id, unlike batch import which upserts."""
    db = app.db
    body = request.json()
    _body_id(body)
    check_consistency(request.query)
    with db.lock:
        try:
            write = prepare(db, body, unique=True)
        except ValueError as exc:
            raise fail(422, invalid(exc)) from None
        try:
            write.col.put(write.tenant, write.obj)
        except ShardRefusal as exc:
            raise _refused(PUT_REFUSED, write.col, exc) from None
        return json_response(with_links(write.col, [write.obj.to_json(write.col.name,
                                                                       write.tenant, True)])[0])


def _body_id(body: Any) -> str | None:
    """The ``id`` of an Object body, checked against the ``uuid`` format as go-openapi does."""
    if not isinstance(body, dict):
        raise parse_error(f"json: cannot unmarshal {go_kind(body)} into Go value of type "
                          "models.Object")
    return uuid_param(body.get("id"), "id in body", "Object.id")


def put_object(app: State, request: Request) -> Response:
    """``PUT /v1/objects/{className}/{id}``: full replace; body ``class`` and ``id`` required."""
    db = app.db
    object_id = _object_id(request)
    body = request.json()
    body_id = _body_id(body)
    check_consistency(request.query)
    if body_id != object_id:
        raise fail(422, "invalid update: field 'id' is immutable")
    with db.lock:
        col = db.get(body.get("class") or request.params["className"])
        if col is None:
            return empty(404)
        tenant = body.get("tenant") or None
        require_tenant(col, tenant)
        old = col.partition(tenant).get(object_id)
        if old is None:
            return empty(404)
        try:
            write = prepare(db, {**body, "class": col.name})
        except ValueError as exc:
            raise fail(422, invalid(exc)) from None
        write.obj.created = old.created
        try:
            col.put(write.tenant, write.obj)
        except ShardRefusal as exc:
            raise _refused(PUT_REFUSED, col, exc) from None
        return json_response(with_links(col, [write.obj.to_json(col.name, write.tenant,
                                                                 True)])[0])


def patch_object(app: State, request: Request) -> Response:
    """``PATCH /v1/objects/{className}/{id}``: merge; null deletes a property; 204.

    The tenant travels in the body, as for PUT: the operation has no ``tenant`` query
    parameter.
    """
    db = app.db
    if not request.body.strip():
        return empty(400)
    body = request.json()
    _body_id(body)
    tenant = body.get("tenant") or None
    with db.lock:
        col, old = _find(db, request, tenant)
        if old is None:
            return empty(404)
        try:
            changes = normalize(col, body.get("properties"), db.auto_schema,
                                References(db, col, tenant), keep_nulls=True)
            merged = {**old.properties, **changes}
            vector, named = vectors(col, body.get("vector"), body.get("vectors"))
        except ValueError as exc:
            raise _wrapped("bad request", 400, str(exc)) from None
        # a vector not sent is kept, as mergeObjectSchemaAndVectorize does
        named = {**(old.vectors or {}), **(named or {})} or None
        updated = StoredObject(old.id, {k: v for k, v in merged.items() if v is not None},
                               old.vector if vector is None else vector, named, old.created,
                               now_ms())
        try:
            col.put(tenant, updated, merging=True)
        except ShardRefusal as exc:
            raise _refused(MERGE_REFUSED, col, exc) from None
    return empty(204)


def delete_object(app: State, request: Request) -> Response:
    """``DELETE /v1/objects/{className}/{id}``: 204 even when absent; 500 for a missing class."""
    db = app.db
    object_id = _object_id(request)
    check_consistency(request.query)
    with db.lock:
        name = upper_first(request.params["className"])
        col = db.get(name)
        if col is None:
            return error(500, "could not delete object from vector repo: delete from "
                              f"non-existing index for {name}")
        tenant = request.query.get("tenant") or None
        require_tenant(col, tenant)
        try:
            col.remove(tenant, object_id)
        except ShardRefusal as exc:
            raise _refused(DELETE_REFUSED, col, exc) from None
    return empty(204)


def get_object_any_class(app: State, request: Request) -> Response:
    """Deprecated ``GET /v1/objects/{id}``: the id in any non-multi-tenant class."""
    db = app.db
    object_id = _object_id(request)
    include_vector = _include_vector(request)
    with db.lock:
        for col in db.collections.values():
            obj = None if col.multi_tenant else col.partition(None).get(object_id)
            if obj is not None:
                return json_response(with_links(col, [obj.to_json(col.name, None,
                                                                  include_vector)])[0])
    return empty(404)


def delete_object_any_class(app: State, request: Request) -> Response:
    """Deprecated ``DELETE /v1/objects/{id}``: deletes the id everywhere, 404 if nowhere."""
    db = app.db
    object_id = _object_id(request)
    found = False
    with db.lock:
        for col in db.collections.values():
            if col.multi_tenant:
                continue
            try:
                found = col.remove(None, object_id) or found
            except ShardRefusal as exc:
                raise _refused(DELETE_REFUSED, col, exc) from None
    return empty(204 if found else 404)


def validate_object(app: State, request: Request) -> Response:
    """``POST /v1/objects/validate``: the class's checks, changing nothing (no auto-schema,
    no tenant handling, no shard)."""
    db = app.db
    body = request.json()
    _body_id(body)
    with db.lock:
        try:
            prepare(db, body, validate_only=True)
        except ValueError as exc:
            raise fail(422, invalid(exc)) from None
    return empty(200)


ROUTES = [
    ("GET", "/v1/objects", list_objects),
    ("POST", "/v1/objects", create_object),
    ("POST", "/v1/objects/validate", validate_object),
    ("GET", "/v1/objects/{id}", get_object_any_class),
    ("DELETE", "/v1/objects/{id}", delete_object_any_class),
    ("GET", "/v1/objects/{className}/{id}", get_object),
    ("HEAD", "/v1/objects/{className}/{id}", head_object),
    ("PUT", "/v1/objects/{className}/{id}", put_object),
    ("PATCH", "/v1/objects/{className}/{id}", patch_object),
    ("DELETE", "/v1/objects/{className}/{id}", delete_object),
]
