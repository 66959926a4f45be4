"""Opening a connection: readiness, server version and who we are."""

from __future__ import annotations

import getpass
import socket

from commands.api.client import RestClient
from commands.context import Connection
from commands.errors import ApiError


def local_identity() -> str:
    """``user@host`` of this process, the identity when Weaviate has no auth."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"


def open_connection(url: str, api_key: str | None = None,
                    headers: dict[str, str] | None = None, verify: bool = True,
                    profile: str | None = None, tier: str | None = None,
                    connect_retries: int = 4) -> Connection:
    """Connect, read ``/v1/meta`` and, with a key, ``/v1/users/own-info``.

    ``connect_retries`` applies to the first request only (start-up may want to give up
    fast); the connection keeps the client's normal retry policy afterwards. Raises
    ``ConnectionFailed`` when nothing answers and ``ApiError`` when the cluster refuses.
    """
    api = RestClient(url, api_key=api_key, headers=headers, verify=verify)
    try:
        meta = api.get_json("/v1/meta", retries=connect_retries)
        identity = local_identity()
        if api_key:
            try:
                identity = api.get_json("/v1/users/own-info")["username"]
            except ApiError as exc:
                if exc.status not in (401, 404, 501):
                    raise
    except Exception:
        api.close()
        raise
    return Connection(api=api, url=api.url, profile=profile, server_version=meta.get("version"),
                      identity=identity, tier=tier)


def nodes_health(api: RestClient) -> tuple[int, int]:
    """(healthy, total) nodes, from one minimal ``GET /v1/nodes``."""
    nodes = api.get_json("/v1/nodes", output="minimal")["nodes"] or []
    return sum(1 for n in nodes if n.get("status") == "HEALTHY"), len(nodes)
