"""``\\health``: evidence read in a fixed number of requests, pure checks over it, a verdict.

``model`` holds the row and verdict types, ``gather`` the reads, ``cluster`` the node and
RAFT checks, ``coverage`` the shards no live node reports, ``data`` the shard, replica and
tenant checks (OPERATIONS.md §1.10), ``elysia`` whether Elysia's collections can be read.
"""

from __future__ import annotations

from commands.api.client import RestClient
from commands.ops.health import cluster, data, elysia, model
from commands.ops.health.gather import gather


def check_health(api: RestClient,
                 collection: str | None = None) -> tuple[str | None, list[model.Check]]:
    """The canonical collection name (None for the whole cluster) and every check row."""
    evidence = gather(api, collection)
    return evidence.collection, (cluster.checks(evidence) + data.checks(evidence)
                                 + elysia.checks(evidence))
