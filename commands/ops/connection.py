"""Opening a connection: readiness, server version and who we are."""

from __future__ import annotations

import getpass
import socket
from typing import Any

from commands.api.client import RestClient
from commands.context import Connection
from commands.errors import ApiError, ConnectionFailed
from commands.urls import check_url


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
                    connect_retries: int = 4, read_only: bool = False) -> Connection:
    """Connect, read ``/v1/meta`` and, with a key, ``/v1/users/own-info``.

    A ``read_only`` connection (a profile with ``read_only: true``) refuses every write
    before sending it (``RestClient.read_only``).

    ``connect_retries`` applies to the first request only (a test may want to give up
    fast); the connection keeps the client's normal retry policy afterwards. Raises
    ``ConnectionFailed`` when nothing answers and ``ApiError`` when the cluster refuses.
    """
    check_url(url)
    api = RestClient(url, api_key=api_key, headers=headers, verify=verify,
                     read_only=(profile or url) if read_only else None)
    try:
        meta = _meta(api, connect_retries)
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


def _meta(api: RestClient, retries: int) -> dict[str, Any]:
    """``GET /v1/meta``, or ``ConnectionFailed`` when what answers is not Weaviate."""
    hint = "check the URL: Weaviate's REST port, usually 8080"
    try:
        meta = api.get_json("/v1/meta", retries=retries)
    except ApiError as exc:
        if exc.status not in (404, 405):
            raise
        raise ConnectionFailed(f"{api.url} does not answer as Weaviate: GET /v1/meta answered "
                               f"{exc.status}", hint) from None
    except ValueError:
        raise ConnectionFailed(f"{api.url} does not answer as Weaviate: GET /v1/meta is not "
                               "JSON", hint) from None
    if not isinstance(meta, dict):
        raise ConnectionFailed(f"{api.url} does not answer as Weaviate: GET /v1/meta is not a "
                               "JSON object", hint)
    return meta


def nodes_health(api: RestClient) -> tuple[int, int]:
    """(healthy, total) nodes, from one minimal ``GET /v1/nodes``."""
    nodes = api.get_json("/v1/nodes", output="minimal")["nodes"] or []
    return sum(1 for n in nodes if n.get("status") == "HEALTHY"), len(nodes)
