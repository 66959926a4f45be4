"""What ``\\roles`` and ``\\users`` ask of a server with 50 roles: Weaviate has no request for
every role's holders, so they are asked role by role, several at a time, and the OIDC-only
lookups are left out where they cannot find anything (in-process, one RBAC sandbox)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest
from conftest import REGISTRY

from commands.api.client import RestClient
from commands.audit import MemoryAuditLog
from commands.context import Connection, Session
from commands.dispatch import Dispatcher
from commands.ops.rbac.roles import IN_FLIGHT
from commands.results import Outcome, Table
from sandbox import Sandbox
from sandbox.app import WEAVIATE_VERSION

ROOT_KEY = "root-key"
ROLES = [f"role{i:02}" for i in range(50)]
LATENCY_MS = 50


@pytest.fixture(scope="module")
def rbac() -> Iterator[tuple[Sandbox, httpx.Client]]:
    """An RBAC sandbox with 50 roles, role07 held by the database user ann."""
    with Sandbox(api_keys={ROOT_KEY: "root"}, rbac=True, root_users=["root"],
                 db_users=True) as sandbox, \
            httpx.Client(base_url=sandbox.url, timeout=10,
                         headers={"Authorization": f"Bearer {ROOT_KEY}"}) as http:
        for name in ROLES:
            http.post("/v1/authz/roles", json={"name": name, "permissions": [
                {"action": "read_data", "data": {"collection": name.title()}}]})
        http.post("/v1/users/db/ann")
        http.post("/v1/authz/users/ann/assign", json={"roles": ["role07"], "userType": "db"})
        yield sandbox, http


class Overlap(httpx.HTTPTransport):
    """A transport that remembers the most requests it had in flight at once."""

    def __init__(self) -> None:
        super().__init__()
        self.lock, self.now, self.most = threading.Lock(), 0, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        try:
            return super().handle_request(request)
        finally:
            with self.lock:
                self.now -= 1


def run(http: httpx.Client, line: str) -> tuple[Outcome, list[str], int]:
    """``line`` through the dispatcher as root, with the paths of the requests it sent and
    the most it had in flight at once, every request delayed by ``LATENCY_MS``."""
    url = str(http.base_url).rstrip("/")
    transport = Overlap()
    session = Session(connection=Connection(
        api=RestClient(url, ROOT_KEY, retries=0, transport=transport), url=url))
    session.connection.server_version = WEAVIATE_VERSION
    http.delete("/__sandbox/requests")
    http.put("/__sandbox/faults", json={"latency_ms": LATENCY_MS})
    try:
        outcome = Dispatcher(REGISTRY, session, MemoryAuditLog()).execute(line, "argv")
    finally:
        http.put("/__sandbox/faults", json={"latency_ms": 0})
    return outcome, [e["path"] for e in http.get("/__sandbox/requests").json()], transport.most


def rows(outcome: Outcome) -> dict[str, tuple]:
    assert outcome.exit_code == 0, outcome.error
    table = next(r for r in outcome.results if isinstance(r, Table))
    return {row[0]: row for row in table.rows}


def asked(paths: list[str], what: str) -> int:
    return sum(path.endswith(what) for path in paths)


def test_roles_asks_each_role_for_its_users_several_at_a_time(rbac) -> None:
    _, http = rbac
    outcome, paths, most = run(http, r"\roles")
    listed = rows(outcome)
    assert listed["role07"][3] == ["ann"] and listed["role08"][3] == []
    assert len(listed) == len(ROLES) + 4  # and the built-in admin, read-only, root, viewer
    assert asked(paths, "/user-assignments") == len(listed)
    # no group holds a role (GET /v1/authz/groups/oidc is []): no role is asked for groups
    assert asked(paths, "/group-assignments") == 0 and "/v1/authz/groups/oidc" in paths
    # several at a time: each request takes LATENCY_MS, so the pool's requests overlap
    assert 1 < most <= IN_FLIGHT


def test_roles_asks_for_groups_once_a_group_holds_a_role(rbac) -> None:
    _, http = rbac
    http.post("/v1/authz/groups/%2Fops/assign", json={"roles": ["role03"], "groupType": "oidc"})
    try:
        outcome, paths, _ = run(http, r"\roles")
    finally:
        http.post("/v1/authz/groups/%2Fops/revoke",
                  json={"roles": ["role03"], "groupType": "oidc"})
    listed = rows(outcome)
    assert listed["role03"][4] == ["/ops"]
    assert asked(paths, "/group-assignments") == len(listed)


def test_users_asks_no_role_when_the_server_has_no_oidc(rbac) -> None:
    _, http = rbac
    outcome, paths, _ = run(http, r"\users")
    assert rows(outcome)["ann"][3] == ["role07"]
    assert "/v1/.well-known/openid-configuration" in paths
    assert asked(paths, "/user-assignments") == 0 and "/v1/authz/roles" not in paths
