"""What the backends and metrics read of the running sandbox (``sandbox.app.App`` has it).

A Protocol, not the app itself: the backup and export coordinators, the replication FSM and
the metrics live inside the app, so they may not import it. They read these attributes
live, at the moment they need them: a reset swaps ``db`` and ``cluster`` for new ones.
"""

from __future__ import annotations

from typing import Protocol

from sandbox.db_user_store import DbUsers
from sandbox.nodes import Cluster
from sandbox.rbac import Rbac
from sandbox.store import Database


class Core(Protocol):
    """The database, the nodes, RBAC and db users of one sandbox, and its version."""

    node_count: int
    version: str
    db: Database
    cluster: Cluster
    rbac: Rbac
    db_users: DbUsers

    def answering_version(self) -> str:
        """The version of the node answering REST requests."""
        ...
