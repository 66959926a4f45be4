"""Root, ``/v1``, ``/v1/meta``, OpenID discovery and ``/v1/users/own-info`` (§2.1, §3)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.auth import own_info
from sandbox.http import Request, Response, empty, json_response

if TYPE_CHECKING:
    from sandbox.app import App

DOCS = "https://docs.weaviate.io/weaviate"
GRPC_MAX_MESSAGE_SIZE = 104858000


def get_meta(app: App, request: Request) -> Response:
    """Version, listen address and modules: only the filesystem backup module is enabled."""
    return json_response({
        "grpcMaxMessageSize": GRPC_MAX_MESSAGE_SIZE,
        "hostname": app.hostname,
        "modules": {"backup-filesystem": {"backupsPath": str(app.backups.root)}},
        "version": app.version,
    })


def get_links(app: App, request: Request) -> Response:
    """``GET /v1``: the API's top-level links."""
    names = ("meta", "schema", "objects", "batch", "graphql", "nodes", "backups", "aliases")
    return json_response({"links": [
        {"name": name, "href": f"/v1/{name}", "documentationHref": DOCS} for name in names]})


def get_root(app: App, request: Request) -> Response:
    """``GET /`` redirects to ``/v1``."""
    response = json_response({"links": {"href": "/v1", "name": "api v1",
                                        "documentationHref": DOCS}}, 301)
    response.headers["Location"] = "/v1"
    return response


def get_openid(app: App, request: Request) -> Response:
    """No OIDC in the sandbox: 404 without a body."""
    return empty(404)


def get_own_info(app: App, request: Request) -> Response:
    """The calling user; 401 without a body for the anonymous user."""
    return own_info(request.user)


ROUTES = [
    ("GET", "/", get_root),
    ("GET", "/v1", get_links),
    ("GET", "/v1/meta", get_meta),
    ("GET", "/v1/.well-known/openid-configuration", get_openid),
    ("GET", "/v1/users/own-info", get_own_info),
]
