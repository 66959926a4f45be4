"""Root, ``/v1``, ``/v1/meta``, readiness and OpenID discovery (§3); ``/v1/users/own-info``
is served with the RBAC routes (``sandbox.authz_assign``).

Enabled modules: ``backup-filesystem`` and ``text2vec-transformers`` (whose meta is what
its inference container's ``/meta`` answers, abridged). ``PUT /__sandbox/modules/{module}``
``{"failing": true}`` makes a module's meta call fail, as an unreachable inference
container does. Since v1.25.29, v1.26.14 and v1.27.7 ``GetMeta`` reports such a module as
``{"error": "<message>"}`` and never fails, so ``/v1/meta`` stays 200 and ``/ready`` is
unaffected; before, ``/v1/meta`` answered 500 and ``/ready`` 503 (weaviate commit 0ee5cd2,
usecases/modules/modules.go ``GetMeta``; OPERATIONS.md §1.1 and RB§3.1 describe the old
behaviour). The version that decides is the answering node's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sandbox.http import Request, Response, empty, fail, json_response
from sandbox.nodes import HEALTHY, version_tuple

if TYPE_CHECKING:
    from sandbox.state import State

DOCS = "https://docs.weaviate.io/weaviate"
GRPC_MAX_MESSAGE_SIZE = 104858000
TRANSFORMERS = "text2vec-transformers"
MODULES = ("backup-filesystem", TRANSFORMERS)
TRANSFORMERS_META = {"model": {"_name_or_path": "sentence-transformers/all-MiniLM-L6-v2",
                               "architectures": ["BertModel"], "hidden_size": 384,
                               "model_type": "bert", "max_position_embeddings": 512}}
# transformers.go MetaInfo wraps the HTTP client's error
TRANSFORMERS_DOWN = ('send GET meta request: Get "http://t2v-transformers:8080/meta": '
                     "dial tcp 172.18.0.3:8080: connect: connection refused")
# first patch of each minor with per-module errors in GetMeta (commit 0ee5cd2)
MODULE_ERRORS_INLINE = {(1, 25): 29, (1, 26): 14, (1, 27): 7}


def _errors_inline(version: str) -> bool:
    parts = version_tuple(version)
    first_patch = MODULE_ERRORS_INLINE.get(parts[:2])
    return parts[2] >= first_patch if first_patch is not None else parts >= (1, 28, 0)


def module_metas(app: State) -> tuple[dict[str, object], str | None]:
    """``Modules.GetMeta()`` on the answering node: the modules' meta, and the error it
    fails with (None: it does not fail)."""
    metas: dict[str, object] = {}
    for name in MODULES:
        if name in app.failing_modules:
            if not _errors_inline(app.answering_version()):
                return {}, TRANSFORMERS_DOWN
            metas[name] = {"error": TRANSFORMERS_DOWN}
        elif name == TRANSFORMERS:
            metas[name] = TRANSFORMERS_META
        else:
            metas[name] = {"backupsPath": str(app.backups.root)}
    return metas, None


def is_ready(app: State) -> bool:
    """``/v1/.well-known/ready``: the answering node is HEALTHY and its modules answer."""
    node = app.cluster.answering()
    if not app.ready or node is None or app.cluster.nodes[node].status != HEALTHY:
        return False
    return module_metas(app)[1] is None


def get_meta(app: State, request: Request) -> Response:
    """Version, listen address and modules of the answering node."""
    modules, problem = module_metas(app)
    if problem is not None:
        raise fail(500, problem)
    return json_response({
        "grpcMaxMessageSize": GRPC_MAX_MESSAGE_SIZE,
        "hostname": app.hostname,
        "modules": modules,
        "version": app.answering_version(),
    })


def get_links(app: State, request: Request) -> Response:
    """``GET /v1``: the API's top-level links."""
    names = ("meta", "schema", "objects", "batch", "graphql", "nodes", "backups", "aliases")
    return json_response({"links": [
        {"name": name, "href": f"/v1/{name}", "documentationHref": DOCS} for name in names]})


def get_root(app: State, request: Request) -> Response:
    """``GET /`` redirects to ``/v1``."""
    response = json_response({"links": {"href": "/v1", "name": "api v1",
                                        "documentationHref": DOCS}}, 301)
    response.headers["Location"] = "/v1"
    return response


def get_openid(app: State, request: Request) -> Response:
    """No OIDC in the sandbox: 404 without a body."""
    return empty(404)


ROUTES = [
    ("GET", "/", get_root),
    ("GET", "/v1", get_links),
    ("GET", "/v1/meta", get_meta),
    ("GET", "/v1/.well-known/openid-configuration", get_openid),
]
