"""API-key authentication and the admin-list authorizer, with Weaviate's 401/403 bodies (§2).

With no keys configured the server is anonymous, and a request that carries an
``Authorization`` header anyway is refused, as a real auth-less Weaviate does.
Read-only users (admin list) may only read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sandbox.db_user_store import DbUsers
from sandbox.http import Request, Response, error, framework_error

ANONYMOUS = "anonymous"
EXEMPT_PATHS = {"/v1", "/v1/.well-known/openid-configuration"}
_VERBS = {"POST": "C", "PUT": "U", "PATCH": "U", "DELETE": "D"}
# POSTs that only read: Weaviate authorizes them as READ (handlers_graphql.go,
# usecases/objects/validate.go).
READING_POSTS = {"/v1/graphql", "/v1/graphql/batch", "/v1/objects/validate"}


def is_write(request: Request) -> bool:
    """Whether the request may change data: what the admin list refuses read-only users and
    what the request log marks as mutating."""
    path = request.path.rstrip("/")
    # has-permission is a POST that only reads (authorized as READ in handlers_authz.go).
    return request.method in _VERBS and path not in READING_POSTS and \
        not path.endswith("/has-permission")


@dataclass
class Auth:
    """Keys and users of one sandbox. ``keys`` maps an API key to its user name."""

    keys: dict[str, str] = field(default_factory=dict)
    read_only_users: set[str] = field(default_factory=set)
    db_users: DbUsers = field(default_factory=DbUsers)

    def authenticate(self, request: Request) -> tuple[str | None, Response | None]:
        """Return (user, None) or (None, the 401 response)."""
        header = request.headers.get("authorization", "")
        token = header[7:].strip() if header.lower().startswith("bearer ") else ""
        token = token or request.query.get("access_token", "")
        if not self.keys:
            if header:
                return None, framework_error(401, 401, (
                    "no authentication scheme is configured (API Key or OIDC), but an "
                    "'Authorization' header was provided. Please configure an auth scheme or "
                    "remove the header for anonymous access"))
            return ANONYMOUS, None
        if not token:
            if request.path in EXEMPT_PATHS:
                return ANONYMOUS, None
            # Weaviate writes this body by hand, spaces included.
            body = (b'{"code":401,"message": "anonymous access not enabled. Please authenticate '
                    b'through one of the available methods: [API-keys]" }')
            return None, Response(401, body)
        if self.db_users.enabled:  # apikey/wrapper.go: dynamic keys first
            user, reason = self.db_users.authenticate(token)
            if reason is not None:
                return None, framework_error(401, 401, f"unauthorized: invalid api key: {reason}")
            if user is not None:
                return user, None
        user = self.keys.get(token)
        if user is None:
            return None, framework_error(401, 401, "unauthorized: invalid api key")
        return user, None

    def authorize(self, user: str, request: Request) -> Response | None:
        """The admin-list 403 for a read-only user attempting a write, else None."""
        if not is_write(request) or user not in self.read_only_users:
            return None
        return error(403, f"adminlist: authorization, forbidden action: user '{user}' has "
                          f"insufficient permissions to {_VERBS[request.method]} "
                          f"[{_resource(request.path)}]")


def _resource(path: str) -> str:
    parts = path.removeprefix("/v1/").split("/")
    if parts[0] == "schema" and len(parts) > 1:
        return f"schema/collections/{parts[1]}/shards/#"
    if parts[0] == "objects" and len(parts) > 2:
        return f"data/collections/{parts[1]}/shards/*/objects/{parts[2]}"
    if parts[0] in ("objects", "batch"):
        return "data/collections/*/shards/*/objects/*"
    if parts[0] == "backups":
        return "backups/collections/*"
    return f"{parts[0]}/*"

