"""``/v1/schema/{className}/tenants`` endpoints (§5).

Statuses are accepted in both vocabularies and always returned in the internal
one (``HOT``, ``COLD``, ``FROZEN``). The sandbox has no offload module, so
``OFFLOADED``/``FROZEN`` cannot be requested, as on a server without offload-s3.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sandbox.classes import upper_first
from sandbox.http import (
    ApiError,
    GoSlice,
    GoStruct,
    Request,
    Response,
    empty,
    fail,
    framework_error,
    go_decode,
    json_response,
)
from sandbox.store import ACTIVE, INACTIVE, OFFLOADED, STATUS_ALIASES, Collection, Database

if TYPE_CHECKING:
    from sandbox.state import State

TENANT_NAME = re.compile(r"^[A-Za-z0-9\-_]{1,64}$")
ENUM = ["ACTIVE", "INACTIVE", "OFFLOADED", "OFFLOADING", "ONLOADING", "HOT", "COLD", "FROZEN",
        "FREEZING", "UNFREEZING"]
MAX_UPDATE = 100
NO_OFFLOAD = "can't offload tenants, because offload-s3 module is not enabled"
TENANTS = GoSlice(GoStruct("Tenant", {"name": "string", "activityStatus": "string"}),
                  "[]*models.Tenant")
QUERY_PREFIX = "failed to execute query: could not get tenants: could not get tenants: "


def _collection(db: Database, request: Request, write: str | None = None) -> Collection:
    """The class of the path. Reads resolve an alias (namespacing.Resolve); writes do not
    (namespacing.QualifyClass), and their errors come back through the RAFT apply with its
    ``updating schema: TYPE_..._TENANT: `` wrapper (cluster/schema/schema.go
    ``multiTenancyEnabled``, cluster/schema/manager.go ``apply``)."""
    name = upper_first(request.params["className"])
    col = db.collections.get(name) if write else db.get(name)
    prefix = f"updating schema: TYPE_{write}_TENANT: " if write else QUERY_PREFIX
    if col is None:
        raise fail(422, f"{prefix}class not found")
    if not col.multi_tenant:
        raise fail(422, f'{prefix}multi-tenancy is not enabled for class "{col.name}"')
    return col


def _tenant_list(request: Request) -> list[dict[str, Any]]:
    body = request.json()
    if not isinstance(body, list):
        raise ApiError(framework_error(422, 601, "body in body must be of type array"))
    go_decode(body, TENANTS)
    body = [item or {} for item in body]  # [inferred] a null item reads as an empty tenant
    for i, item in enumerate(body):
        status = item.get("activityStatus")
        if status is not None and status not in ENUM:
            raise ApiError(framework_error(
                422, 606, f"body.{i}.activityStatus in body should be one of [{' '.join(ENUM)}]"))
    return body


def _check_names(body: list[dict[str, Any]]) -> None:
    seen: set[str] = set()
    for i, item in enumerate(body):
        name = item.get("name") or ""
        if not TENANT_NAME.match(name):
            raise fail(422, f"tenant name at index {i}:  '{name}' is not a valid tenant name. "
                            "should only contain alphanumeric characters (a-z, A-Z, 0-9), "
                            "underscore (_), and hyphen (-), with a length between 1 and 64 "
                            "characters")
        if name in seen:
            raise fail(422, f"tenant name {name} existed multiple times")
        seen.add(name)


def _statuses(body: list[dict[str, Any]], allow_empty: bool) -> list[str | None]:
    """The requested statuses in the internal vocabulary, after the names were checked
    (usecases/schema/tenant.go ``validateActivityStatuses``): only HOT and COLD can be asked
    for without the offload module; every other one is listed in one message."""
    out: list[str | None] = []
    invalid = []
    for item in body:
        given = item.get("activityStatus") or None
        status = STATUS_ALIASES.get(given or "", given)
        if status == OFFLOADED:
            raise fail(422, NO_OFFLOAD)
        if status not in (ACTIVE, INACTIVE) and not (status is None and allow_empty):
            invalid.append(f"invalid activity status '{status or ''}' for tenant "
                           f"\"{item.get('name') or ''}\"")
        out.append(status)
    if invalid:
        raise fail(422, ", ".join(invalid))
    return out


def get_tenants(app: State, request: Request) -> Response:
    """``GET .../tenants``."""
    db = app.db
    with db.lock:
        col = _collection(db, request)
        return json_response([{"name": n, "activityStatus": col.reported_status(n)}
                              for n in col.tenants])


def add_tenants(app: State, request: Request) -> Response:
    """``POST .../tenants``: existing names are silently ignored; the echo uses HOT/COLD.
    Names and statuses are checked before the class is looked up, as Weaviate does."""
    db = app.db
    body = _tenant_list(request)
    _check_names(body)
    echo = [{**item, **({"activityStatus": status} if status else {})}
            for item, status in zip(body, _statuses(body, allow_empty=True), strict=True)]
    with db.lock:
        col = _collection(db, request, "ADD")
        for item in echo:
            if item["name"] not in col.tenants:
                col.add_tenant(item["name"], item.get("activityStatus") or ACTIVE)
    return json_response(echo)


def update_tenants(app: State, request: Request) -> Response:
    """``PUT .../tenants``: at most 100 per request; answers with the tenants re-read.
    Unknown names fail the request, after the known ones were updated."""
    db = app.db
    body = _tenant_list(request)
    if len(body) > MAX_UPDATE:
        raise fail(422, "maximum number of tenants allowed to be updated simultaneously is 100. "
                        "Please reduce the number of tenants in your request and try again")
    _check_names(body)
    statuses = _statuses(body, allow_empty=False)
    with db.lock:
        col = _collection(db, request, "UPDATE")
        wanted = {}
        missing = []
        for item, status in zip(body, statuses, strict=True):
            if item["name"] not in col.tenants:
                missing.append(f"shard not found: {item['name']}")
            else:
                wanted[item["name"]] = status
        # the known tenants change even when others are missing (meta_class.go UpdateTenants:
        # a PartialUpdateError, reported after the update)
        col.tenants.update(wanted)
        if missing:
            raise fail(422, "updating schema: TYPE_UPDATE_TENANT: " + "; ".join(missing))
        return json_response([{"name": n, "activityStatus": col.reported_status(n)}
                              for n in wanted])


def delete_tenants(app: State, request: Request) -> Response:
    """``DELETE .../tenants`` with a JSON array of names; unknown names are ignored."""
    db = app.db
    body = request.json()
    if not isinstance(body, list):
        raise ApiError(framework_error(422, 601, "tenants in body must be of type array"))
    go_decode(body, GoSlice("string", "[]string"))
    for i, name in enumerate(body):
        if not name:
            raise fail(422, f"empty tenant name at index {i}")
    with db.lock:
        col = _collection(db, request, "DELETE")
        for name in body:
            col.drop_tenant(name)
    return empty(200)


def get_tenant(app: State, request: Request) -> Response:
    """``GET .../tenants/{tenantName}``: 404 without a body when absent."""
    db = app.db
    with db.lock:
        col = _collection(db, request)
        name = request.params["tenantName"]
        if name not in col.tenants:
            return empty(404)
        return json_response({"name": name, "activityStatus": col.reported_status(name)})


def head_tenant(app: State, request: Request) -> Response:
    """``HEAD .../tenants/{tenantName}``: 200 or 404."""
    db = app.db
    with db.lock:
        col = _collection(db, request)
        return empty(200 if request.params["tenantName"] in col.tenants else 404)


ROUTES = [
    ("GET", "/v1/schema/{className}/tenants", get_tenants),
    ("POST", "/v1/schema/{className}/tenants", add_tenants),
    ("PUT", "/v1/schema/{className}/tenants", update_tenants),
    ("DELETE", "/v1/schema/{className}/tenants", delete_tenants),
    ("GET", "/v1/schema/{className}/tenants/{tenantName}", get_tenant),
    ("HEAD", "/v1/schema/{className}/tenants/{tenantName}", head_tenant),
]
