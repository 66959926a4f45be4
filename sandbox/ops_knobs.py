"""Operations knobs outside ``/v1``: node health, the peer deadline, tenant offloads and
failing modules (JSON in, JSON out; bad values 422, unknown names 404).

* ``GET /__sandbox/nodes``; ``PUT /__sandbox/nodes/{node}`` with any of ``status``,
  ``version``, ``operational_mode``, ``latency_ms``, ``disk_used_percent``,
  ``vector_queue`` (merged into the node's settings, see ``sandbox.nodes``).
* ``GET``/``PUT /__sandbox/cluster`` ``{"internal_timeout_ms": 1000}``.
* ``GET``/``PUT /__sandbox/tenants/{className}/{tenant}`` ``{"status": "FREEZING" |
  "UNFREEZING" | null}``: an offload in progress, or its end (OPERATIONS.md §1.7).
* ``GET``/``PUT /__sandbox/replication`` ``{"enabled": bool, "step_ms": 150}``: the
  ``REPLICA_MOVEMENT_ENABLED`` switch and the time a replication op spends in each state.
* ``GET /__sandbox/modules``; ``PUT /__sandbox/modules/{module}`` ``{"failing": bool}``.
* ``GET``/``PUT /__sandbox/tasks`` ``{"duration_ms": 1500, "runtime_reindex": false}``: how
  long a new reindex task takes, and ``RUNTIME_REINDEX_ENABLED``.

``POST /__sandbox/reset`` puts every node, tenant and module back to normal.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox import replication_ops, tasks
from sandbox.http import Request, Response, error, json_response
from sandbox.meta import TRANSFORMERS
from sandbox.nodes import SettingError
from sandbox.store import now_ms

if TYPE_CHECKING:
    from sandbox.state import State

TRANSITIONS = ("FREEZING", "UNFREEZING")
FAILABLE_MODULES = (TRANSFORMERS,)  # modules whose meta is a remote call


def settings_body(request: Request) -> dict[str, Any]:
    """A knob's JSON object body ({} when empty); malformed JSON is go-openapi's 400."""
    body = request.json(required=False)
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise TypeError("the body must be a JSON object")
    return body


def handle(app: State, request: Request, name: str) -> Response:
    """Serve ``/__sandbox/{name}`` for the operations knobs, or answer 404."""
    parts = name.split("/")
    method = request.method
    try:
        if parts == ["nodes"] and method == "GET":
            return json_response(app.cluster.to_json(app.version))
        if parts[0] == "nodes" and len(parts) == 2 and method == "PUT":
            return _put_node(app, request, parts[1])
        if parts == ["cluster"] and method in ("GET", "PUT"):
            if method == "PUT":
                app.cluster.configure(settings_body(request))
            return json_response({"internal_timeout_ms": app.cluster.internal_timeout_ms})
        if parts[0] == "tenants" and len(parts) == 3 and method in ("GET", "PUT"):
            return _tenant(app, request, parts[1], parts[2])
        if parts == ["replication"] and method in ("GET", "PUT"):
            return replication_ops.knob(app, request, settings_body(request))
        if parts == ["tasks"] and method in ("GET", "PUT"):
            body = settings_body(request) if method == "PUT" else {}
            return json_response(tasks.configure(app, body))
        if parts == ["modules"] and method == "GET":
            return json_response(_modules(app))
        if parts[0] == "modules" and len(parts) == 2 and method == "PUT":
            return _put_module(app, request, parts[1])
    except (SettingError, TypeError) as exc:
        return error(422, str(exc))
    return error(404, f"unknown sandbox knob: {method} /__sandbox/{name}")


def _put_node(app: State, request: Request, node: str) -> Response:
    if node not in app.cluster.nodes:
        return error(404, f"unknown node {node!r}; nodes: {', '.join(sorted(app.cluster.nodes))}")
    app.cluster.set_node(app.db, node, settings_body(request), app.version)
    return json_response(app.cluster.to_json(app.version)[node])


def _tenant(app: State, request: Request, class_name: str, tenant: str) -> Response:
    db = app.db
    body = settings_body(request) if request.method == "PUT" else {}
    if set(body) - {"status"}:
        raise SettingError("the only tenant setting is status")
    with db.lock:
        col = db.get(class_name)
        if col is None or not col.multi_tenant:
            return error(404, f"no multi-tenant class {class_name!r}")
        if tenant not in col.tenants:
            return error(404, f"class {col.name} has no tenant {tenant!r}")
        if "status" in body:
            status = body["status"]
            if status is None:
                col.transitions.pop(tenant, None)
            elif status in TRANSITIONS:
                col.transitions[tenant] = (status, now_ms())
            else:
                raise SettingError("status must be FREEZING, UNFREEZING or null (back to the "
                                   "stored status)")
        transition = col.transitions.get(tenant)
        return json_response({"activityStatus": col.reported_status(tenant),
                              "stored": col.tenants[tenant],
                              "since": transition[1] if transition else None})


def _modules(app: State) -> dict[str, Any]:
    return {name: {"failing": name in app.failing_modules} for name in FAILABLE_MODULES}


def _put_module(app: State, request: Request, module: str) -> Response:
    if module not in FAILABLE_MODULES:
        return error(404, f"unknown module {module!r}; modules whose meta call can fail: "
                          f"{', '.join(FAILABLE_MODULES)}")
    failing = settings_body(request).get("failing", module in app.failing_modules)
    if not isinstance(failing, bool):
        raise SettingError("failing must be true or false")
    if failing:
        app.failing_modules.add(module)
    else:
        app.failing_modules.discard(module)
    return json_response(_modules(app)[module])
