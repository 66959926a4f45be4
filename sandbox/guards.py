"""RBAC enforcement on every other ``/v1`` route: the verb and resources each Weaviate
handler authorizes (usecases/schema/{class,tenant,alias,property,handler}.go,
usecases/objects/*.go, usecases/nodes/handler.go, usecases/backup/scheduler.go,
sandbox/guards_graphql.py for GraphQL), checked after routing and
before the handler. List endpoints are not refused: they leave out what the caller may not
read (usecases/auth/authorization/filter/filter.go). The ``/v1/authz`` and
``/v1/users`` handlers check for themselves; meta, root and well-known paths need no
permission. A route missing from the table is not checked.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from sandbox import permissions as perms
from sandbox.backup_files import class_names
from sandbox.classes import upper_first
from sandbox.guards_graphql import graphql_guard
from sandbox.http import Request, Response, dumps, error

if TYPE_CHECKING:
    from sandbox.state import State

Checks = list[tuple[str, list[str]]]  # (verb, resources), checked in order
Verdict = Response | Callable[[Response], Response] | None


def _body(request: Request) -> Any:
    """The decoded body, or None: a body the handler cannot decode is its 400/422 to give,
    as go-openapi binds the body before any handler authorizes."""
    try:
        return orjson.loads(request.body) if request.body.strip() else None
    except orjson.JSONDecodeError:
        return None


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _names(items: Any, key: str | None = "name") -> list[str]:
    items = items if isinstance(items, list) else []
    return [str(i if key is None else _dict(i).get(key) or "") for i in items]


def _class(app: State, request: Request, name: str | None = None) -> str:
    """The collection a request names (path or ``name``), an alias resolved to its target as
    Weaviate resolves it before authorizing (usecases/objects/manager.go resolveNS)."""
    name = request.params.get("className", "") if name is None else name
    return app.db.resolve(name) if name else ""


def _body_class(app: State, request: Request) -> str:
    return _class(app, request, str(_dict(_body(request)).get("class") or ""))


def _tenant_q(request: Request) -> str:
    return request.query.get("tenant", "")


def _batch(app: State, request: Request) -> Checks:
    classes: dict[str, list[str]] = {}
    for obj in _dict(_body(request)).get("objects") or []:
        obj = _dict(obj)
        classes.setdefault(_class(app, request, str(obj.get("class") or "")),
                           []).append(str(obj.get("tenant") or ""))
    checks: Checks = []
    for cls, tenants in classes.items():
        resources = perms.shards_data(cls, *tenants)
        checks += [(perms.UPDATE, resources), (perms.CREATE, resources)]
    return checks


def _stored_alias(verb: str) -> Callable[[State, Request], Checks]:
    """alias.go Get/DeleteAlias: an unknown alias is a 404 before any check; a known one is
    checked against the collection it points to."""
    def checks(app: State, request: Request) -> Checks:
        alias = upper_first(request.params["aliasName"])
        target = app.db.aliases.get(alias)
        return [] if target is None else [(verb, perms.aliases(target, alias))]
    return checks


def _peek(app: State, request: Request, path: str) -> dict[str, Any]:
    """Read a resource (unguarded) to learn what a request on it must be checked against,
    as Weaviate's handlers look an operation up before authorizing it."""
    probe = Request("GET", path, {}, dict(request.headers), b"", user=request.user)
    found = app.router.dispatch(app, probe, guarded=False)
    return _dict(orjson.loads(found.body)) if found.status == 200 and found.body else {}


def _replication_op(app: State, request: Request) -> list[str]:
    op = _peek(app, request, f"/v1/replication/replicate/{request.params['id']}")
    return perms.replications(str(op.get("collection") or ""), str(op.get("shard") or ""))


def _collections(cls: str) -> list[str]:
    """types.go ``Collections``: the class's data, then its metadata."""
    return [perms.objects(cls), *perms.collections_metadata(cls)]


def _backup_classes(app: State, request: Request) -> list[str]:
    home = app.backups.home(request.params["id"])
    meta = app.backups.read(home, "create", strict=False)
    return class_names(meta) if meta else []


_SIMPLE: dict[tuple[str, str], Callable[[State, Request], Checks]] = {
    ("POST", "/v1/schema"): lambda a, r: [
        (perms.CREATE, perms.collections_metadata(str(_dict(_body(r)).get("class") or "")))],
    ("GET", "/v1/schema/{className}"): lambda a, r: [
        (perms.READ, perms.collections_metadata(_class(a, r)))],
    ("PUT", "/v1/schema/{className}"): lambda a, r: [
        (perms.UPDATE, perms.collections_metadata(_class(a, r)))],
    ("DELETE", "/v1/schema/{className}"): lambda a, r: [
        (perms.DELETE, perms.collections_metadata(_class(a, r)))],
    ("POST", "/v1/schema/{className}/properties"): lambda a, r: [
        (perms.UPDATE, perms.collections_metadata(_class(a, r))),
        (perms.READ, perms.collections_metadata(_class(a, r)))],
    ("POST", "/v1/schema/{className}/tenants"): lambda a, r: [
        (perms.CREATE, perms.shards_metadata(_class(a, r), *_names(_body(r))))],
    ("PUT", "/v1/schema/{className}/tenants"): lambda a, r: [
        (perms.UPDATE, perms.shards_metadata(_class(a, r), *_names(_body(r))))],
    ("DELETE", "/v1/schema/{className}/tenants"): lambda a, r: [
        (perms.DELETE, perms.shards_metadata(_class(a, r), *_names(_body(r), None)))],
    ("GET", "/v1/schema/{className}/tenants/{tenantName}"): lambda a, r: [
        (perms.READ, perms.shards_metadata(_class(a, r), r.params["tenantName"]))],
    ("HEAD", "/v1/schema/{className}/tenants/{tenantName}"): lambda a, r: [
        (perms.READ, perms.shards_metadata(_class(a, r), r.params["tenantName"]))],
    ("GET", "/v1/schema/{className}/shards"): lambda a, r: [
        (perms.READ, perms.shards_metadata(_class(a, r), _tenant_q(r)))],
    ("PUT", "/v1/schema/{className}/shards/{shardName}"): lambda a, r: [
        (perms.UPDATE, perms.shards_metadata(_class(a, r), r.params["shardName"]))],
    ("POST", "/v1/aliases"): lambda a, r: [(perms.CREATE, perms.aliases(
        str(_dict(_body(r)).get("class") or ""), str(_dict(_body(r)).get("alias") or "")))],
    ("GET", "/v1/aliases/{aliasName}"): _stored_alias(perms.READ),
    ("PUT", "/v1/aliases/{aliasName}"): lambda a, r: [(perms.UPDATE, perms.aliases(
        str(_dict(_body(r)).get("class") or ""), r.params["aliasName"]))],
    ("DELETE", "/v1/aliases/{aliasName}"): _stored_alias(perms.DELETE),
    # query.go checks the class's data; without a class get.go checks the tenant's.
    ("GET", "/v1/objects"): lambda a, r: [(perms.READ, [
        perms.objects(_class(a, r, r.query["class"])) if r.query.get("class")
        else perms.objects("", _tenant_q(r))])],
    ("POST", "/v1/objects"): lambda a, r: [(perms.CREATE, perms.shards_data(
        _body_class(a, r), str(_dict(_body(r)).get("tenant") or "")))],
    ("POST", "/v1/objects/validate"): lambda a, r: [(perms.READ, [perms.objects(
        _body_class(a, r), str(_dict(_body(r)).get("tenant") or ""),
        str(_dict(_body(r)).get("id") or ""))])],
    ("GET", "/v1/objects/{id}"): lambda a, r: [
        (perms.READ, [perms.objects("", "", r.params["id"])])],
    ("DELETE", "/v1/objects/{id}"): lambda a, r: [
        (perms.DELETE, [perms.objects("", _tenant_q(r), r.params["id"])])],
    ("GET", "/v1/objects/{className}/{id}"): lambda a, r: [
        (perms.READ, [perms.objects(_class(a, r), _tenant_q(r), r.params["id"])])],
    ("HEAD", "/v1/objects/{className}/{id}"): lambda a, r: [
        (perms.READ, [perms.objects(_class(a, r), _tenant_q(r), r.params["id"])])],
    ("PUT", "/v1/objects/{className}/{id}"): lambda a, r: [(perms.UPDATE, [perms.objects(
        _class(a, r), str(_dict(_body(r)).get("tenant") or ""), r.params["id"])])],
    ("PATCH", "/v1/objects/{className}/{id}"): lambda a, r: [(perms.UPDATE, [perms.objects(
        _class(a, r), str(_dict(_body(r)).get("tenant") or ""), r.params["id"])])],
    ("DELETE", "/v1/objects/{className}/{id}"): lambda a, r: [
        (perms.DELETE, [perms.objects(_class(a, r), _tenant_q(r), r.params["id"])])],
    ("POST", "/v1/batch/objects"): lambda a, r: _batch(a, r),
    ("DELETE", "/v1/batch/objects"): lambda a, r: [(perms.DELETE, perms.shards_data(
        _class(a, r, str(_dict(_dict(_body(r)).get("match")).get("class") or "")),
        _tenant_q(r)))],
    ("GET", "/v1/nodes"): lambda a, r: [] if r.query.get("output") == "verbose" else [
        (perms.READ, perms.nodes(r.query.get("output", "minimal")))],
    ("GET", "/v1/nodes/{className}"): lambda a, r: [
        (perms.READ, perms.nodes(r.query.get("output", "minimal"), _class(a, r)))],
    ("GET", "/v1/cluster/statistics"): lambda a, r: [(perms.READ, [perms.CLUSTER])],
    ("GET", "/v1/backups/{backend}/{id}"): lambda a, r: [
        (perms.READ, perms.backups(*_backup_classes(a, r)))],
    ("DELETE", "/v1/backups/{backend}/{id}"): lambda a, r: [
        (perms.DELETE, perms.backups(*_backup_classes(a, r)))],
    ("GET", "/v1/backups/{backend}/{id}/restore"): lambda a, r: [
        (perms.READ, perms.backups(*_backup_classes(a, r)))],
    ("DELETE", "/v1/backups/{backend}/{id}/restore"): lambda a, r: [
        (perms.DELETE, perms.backups(*_backup_classes(a, r)))],
    ("POST", "/v1/backups/{backend}/{id}/restore"): lambda a, r: [(perms.CREATE, perms.backups(
        *(_names(_dict(_body(r)).get("include"), None) or _backup_classes(a, r))))],
    # adapters/handlers/rest/replication/handlers_replicate.go
    ("POST", "/v1/replication/replicate"): lambda a, r: [(perms.CREATE, perms.replications(
        str(_dict(_body(r)).get("collection") or ""), str(_dict(_body(r)).get("shard") or "")))],
    ("GET", "/v1/replication/replicate/list"): lambda a, r: [(perms.READ, perms.replications())],
    ("DELETE", "/v1/replication/replicate"): lambda a, r: [(perms.DELETE, perms.replications())],
    ("POST", "/v1/replication/replicate/force-delete"): lambda a, r: [
        (perms.DELETE, perms.replications())],
    ("GET", "/v1/replication/replicate/{id}"): lambda a, r: [
        (perms.READ, _replication_op(a, r))],
    ("DELETE", "/v1/replication/replicate/{id}"): lambda a, r: [
        (perms.DELETE, _replication_op(a, r))],
    ("POST", "/v1/replication/replicate/{id}/cancel"): lambda a, r: [
        (perms.UPDATE, _replication_op(a, r))],
    ("GET", "/v1/replication/sharding-state"): lambda a, r: [(perms.READ, perms.replications(
        r.query.get("collection", ""), r.query.get("shard", "")))],
    ("GET", "/v1/replication/scale"): lambda a, r: [
        (perms.READ, perms.replications(r.query.get("collection", "")))],
    ("POST", "/v1/replication/scale"): lambda a, r: [(perms.UPDATE, perms.replications(
        str(_dict(_body(r)).get("collection") or "")))],
    # usecases/distributedtask/handler.go, handlers_indexes*.go, handlers_schema.go
    ("GET", "/v1/tasks"): lambda a, r: [(perms.READ, [perms.CLUSTER])],
    ("GET", "/v1/schema/{className}/indexes"): lambda a, r: [
        (perms.READ, perms.collections_metadata(_class(a, r)))],
    ("PUT", "/v1/schema/{className}/properties/{propertyName}/index/{indexName}"): lambda a, r: [
        (perms.UPDATE, _collections(_class(a, r)))],
    ("DELETE", "/v1/schema/{className}/properties/{propertyName}/index/{indexName}"):
        lambda a, r: [(perms.UPDATE, _collections(_class(a, r)))],
    ("POST", "/v1/schema/{className}/properties/{propertyName}/index/{indexName}/rebuild"):
        lambda a, r: [(perms.UPDATE, _collections(_class(a, r)))],
    ("POST", "/v1/schema/{className}/properties/{propertyName}/index/{indexName}/cancel"):
        lambda a, r: [(perms.UPDATE, _collections(_class(a, r)))],
    # usecases/export/scheduler.go: status and cancel check the exported classes
    ("GET", "/v1/export/{backend}/{id}"): lambda a, r: [(perms.READ, perms.backups(*_names(_peek(
        a, r, f"/v1/export/{r.params['backend']}/{r.params['id']}").get("classes"), None)))],
    ("DELETE", "/v1/export/{backend}/{id}"): lambda a, r: [(perms.DELETE, perms.backups(
        *_names(_peek(a, r, f"/v1/export/{r.params['backend']}/{r.params['id']}")
                .get("classes"), None)))],
}


def _filtered(app: State, request: Request, key: str | None,
              resource: Callable[[dict[str, Any]], list[str]]) -> Callable[[Response], Response]:
    """Leave out of a 200 list the items the caller may not read."""
    def keep(response: Response) -> Response:
        if response.status != 200 or not response.body:
            return response
        data = orjson.loads(response.body)
        items = data if key is None else data.get(key) or []
        kept = [i for i in items if app.rbac.denial(request.user or "", perms.READ,
                                                    *resource(i)) is None]
        if key is None:
            data = kept
        else:
            data[key] = kept
        return Response(response.status, dumps(data), response.headers)
    return keep


def _verbose_nodes(app: State, request: Request) -> Callable[[Response], Response] | None:
    """usecases/nodes/handler.go: verbose output of every node is not refused but shows
    only the shards of readable classes, the node's stats summed again over them."""
    if request.query.get("output") != "verbose":
        return None

    def keep(response: Response) -> Response:
        if response.status != 200 or not response.body:
            return response
        data = orjson.loads(response.body)
        for node in data.get("nodes") or []:
            shards = node.get("shards") or []
            kept = [s for s in shards if app.rbac.denial(
                request.user or "", perms.READ, *perms.nodes("verbose", s.get("class", ""))
            ) is None]
            if len(kept) != len(shards):
                node["shards"] = kept
                node["stats"] = {"objectCount": sum(s.get("objectCount", 0) for s in kept),
                                 "shardCount": len(kept)}
        return Response(response.status, dumps(data), response.headers)
    return keep


_Filter = Callable[["State", Request], Callable[[Response], Response] | None]
_FILTERS: dict[tuple[str, str], _Filter] = {
    ("GET", "/v1/nodes"): _verbose_nodes,
    ("GET", "/v1/schema"): lambda a, r: _filtered(
        a, r, "classes", lambda c: perms.collections_metadata(c.get("class", ""))),
    ("GET", "/v1/schema/{className}/tenants"): lambda a, r: _filtered(
        a, r, None, lambda t: perms.shards_metadata(_class(a, r), t.get("name", ""))),
    ("GET", "/v1/aliases"): lambda a, r: _filtered(
        a, r, "aliases", lambda x: perms.aliases(x.get("class"), x.get("alias"))),
    ("GET", "/v1/backups/{backend}"): lambda a, r: _filtered(
        a, r, None, lambda b: perms.backups(*(b.get("classes") or ()))),
}


def _narrowed(app: State, request: Request, refusal: Callable[[list[str]], Response],
              explicit_include_checked: bool) -> Response | None:
    """Backups and exports of "every class" narrow to the classes the caller may back up
    (scheduler.go filterBackupableClasses, export/scheduler.go); none left is ``refusal``.
    A backup's explicit include needs create on each class instead."""
    body = _dict(_body(request))
    include = _names(body.get("include"), None)
    user = request.user or ""
    if include and explicit_include_checked:
        denial = app.rbac.denial(user, perms.CREATE, *perms.backups(*include))
        return None if denial is None else error(403, denial)
    with app.db.lock:
        every = [c for c in include or app.db.collections
                 if c not in _names(body.get("exclude"), None)]
    allowed = [c for c in every if app.rbac.denial(user, perms.CREATE, *perms.backups(c)) is None]
    if every and not allowed:
        return refusal(every)
    if allowed != every:
        request.body = dumps({**body, "include": allowed, "exclude": []})
    return None


def _backup_refusal(user: str) -> Callable[[list[str]], Response]:
    return lambda every: error(
        403, f"authorization, forbidden action: user '{user}' has insufficient permissions "
             f"to C [{' '.join(perms.backups(*every))}]")


def _export_refusal(every: list[str]) -> Response:
    return error(422, "export validation error: no exportable classes")


def guard(app: State, request: Request) -> Verdict:
    """The router's guard: a 403, a filter for the answer, or None (allowed)."""
    if not app.rbac.enabled:
        return None
    key = (request.method, request.route or "")
    narrowing = _FILTERS[key](app, request) if key in _FILTERS else None
    if narrowing is not None:
        return narrowing
    if key == ("POST", "/v1/graphql"):
        return graphql_guard(app, request, [str(_dict(_body(request)).get("query") or "")])
    if key == ("POST", "/v1/graphql/batch"):
        items = _body(request) if isinstance(_body(request), list) else []
        return graphql_guard(app, request, [str(_dict(i).get("query") or "") for i in items])
    if key == ("POST", "/v1/backups/{backend}"):
        return _narrowed(app, request, _backup_refusal(request.user or ""), True)
    if key == ("POST", "/v1/export/{backend}"):
        return _narrowed(app, request, _export_refusal, False)
    checks = _SIMPLE.get(key)
    for verb, resources in checks(app, request) if checks else ():
        denial = app.rbac.denial(request.user or "", verb, *resources)
        if denial:
            return error(403, denial)
    return None
