"""Test knobs outside ``/v1``: the request log, fault injection and reset.

``/__sandbox/requests`` (GET the log, DELETE to clear it), ``/__sandbox/faults``
(GET or PUT ``{"latency_ms", "fail_rate", "seed", "kinds"}``) and
``/__sandbox/reset`` (POST ``{"seed": "demo"|"none"}``); the operations knobs (nodes,
cluster, tenants, modules) are in ``sandbox.ops_knobs``. Injected faults hit only
``/v1`` requests and always before the handler runs, so no mutation is ever
half-applied and a retry is safe.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox import ops_knobs
from sandbox.http import Request, Response, error, json_response
from sandbox.ops_knobs import settings_body

if TYPE_CHECKING:
    from sandbox.state import State

def handle(app: State, request: Request) -> Response:
    """Serve one ``/__sandbox/...`` request."""
    name = request.path.removeprefix("/__sandbox/").strip("/")
    if name == "requests" and request.method == "GET":
        return json_response(list(app.request_log.entries))
    if name == "requests" and request.method == "DELETE":
        app.request_log.entries.clear()
        return Response(204)
    if name == "faults" and request.method == "GET":
        return json_response(app.faults.to_json())
    if name == "faults" and request.method == "PUT":
        try:
            app.faults.configure(settings_body(request))
        except (TypeError, ValueError) as exc:
            return error(422, str(exc))
        return json_response(app.faults.to_json())
    if name == "reset" and request.method == "POST":
        try:
            app.reset(seed=settings_body(request).get("seed", "none"))
        except (TypeError, ValueError) as exc:
            return error(422, str(exc))
        return Response(204)
    return ops_knobs.handle(app, request, name)
