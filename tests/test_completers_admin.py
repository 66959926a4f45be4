"""Completion of admin names: aliases, nodes, users, roles, shards and the tenants of
``\\tenant`` commands; from hand-built snapshots, from the refresher against the sandbox (and
servers that refuse the RBAC lists), and once through the REPL in a pseudo-terminal."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator

import httpx
import pexpect
import pytest
from test_completers_meta import CLASSES, complete, texts
from test_shell_repl import terminal

from commands.api.client import RestClient
from commands.meta import MODULES
from commands.registry import Registry
from commands.spec import Arg, Kind, Opt, command
from completers.meta import MetaCommandCompleter
from completers.metadata import MetadataCache, MetadataSnapshot
from completers.refresher import MetadataRefresher
from sandbox import Sandbox

__all__ = ["terminal"]  # the pseudo-terminal fixture, imported for pytest


@command("probe", "Test-only: one argument of each admin kind.",
         args=(Arg("collection", Kind.COLLECTION), Arg("shard", Kind.SHARD)),
         opts=(Opt("--node", Kind.NODE), Opt("--user", Kind.USER), Opt("--role", Kind.ROLE)))
def probe_cmd(ctx: object, **arguments: object) -> None:
    """Declares the kinds the RBAC and shard commands of other modules use."""


REGISTRY = Registry.from_modules([*MODULES, sys.modules[__name__]])
SNAPSHOT = (MetadataSnapshot.from_schema(CLASSES, fetched_at=1.0)
            .with_tenants("SupportTicket", {"globex": "HOT", "acme": "HOT", "initech": "COLD"})
            .with_shards("Article", {"a1B2": "READY", "c3D4": "READONLY"})
            .with_admin_names({"Tickets": "SupportTicket", "Current": "Article"},
                              ["node2", "node1"], ["alice", "bob"], ["admin", "viewer"]))


class FakeRefresher:
    """Records lazy loads; the events it returns are never set."""

    def __init__(self) -> None:
        self.loads: list[tuple[str, str]] = []

    def load_tenants(self, collection: str) -> threading.Event:
        self.loads.append(("tenants", collection))
        return threading.Event()

    def load_shards(self, collection: str) -> threading.Event:
        self.loads.append(("shards", collection))
        return threading.Event()


def make(snapshot: MetadataSnapshot = SNAPSHOT, refresher: object = None) -> MetaCommandCompleter:
    return MetaCommandCompleter(REGISTRY, MetadataCache(snapshot), refresher=refresher)


@pytest.mark.parametrize(("line", "expected"), [
    ("\\alias rm ", ["Current", "Tickets"]),
    ("\\alias set t", ["Tickets"]),
    ("\\alias set Tickets Art", ["Article", "ArticleDraft"]),
    ("\\tenant set SupportTicket ", ["acme", "globex", "initech"]),
    ("\\tenant rm SupportTicket acme g", ["globex"]),
    ("\\tenant set SupportTicket 'a", ["'acme"]),
    ("\\tenant set Tickets i", ["initech"]),  # an alias of a multi-tenant collection
    ("\\tenant create SupportTicket ", []),  # new names: nothing to offer
    ("\\probe Article ", ["a1B2", "c3D4"]),
    ("\\probe SupportTicket ac", ["acme"]),  # a multi-tenant collection's shards are tenants
    ("\\probe Article x --node ", ["node1", "node2"]),
    ("\\probe Article x --user A", ["alice"]),
    ("\\probe Article x --role v", ["viewer"]),
])
def test_admin_names(line: str, expected: list[str]) -> None:
    assert texts(make(), line) == expected


def test_names_carry_what_they_are() -> None:
    [alias] = complete(make(), "\\alias rm Cur")
    assert alias.display_meta_text == "alias of Article"
    metas = {c.text: c.display_meta_text for c in complete(make(), "\\tenant rm SupportTicket ")}
    assert metas == {"acme": "HOT", "globex": "HOT", "initech": "COLD"}
    [shard] = complete(make(), "\\probe Article c")
    assert shard.display_meta_text == "READONLY"


def test_missing_shards_and_tenants_load_in_the_background() -> None:
    refresher = FakeRefresher()
    bare = MetadataSnapshot.from_schema(CLASSES, fetched_at=1.0)
    completer = make(bare, refresher)
    assert texts(completer, "\\probe Product ") == []
    assert texts(completer, "\\tenant set SupportTicket ") == []
    assert refresher.loads == [("shards", "Product"), ("tenants", "SupportTicket")]


def test_an_empty_snapshot_offers_no_admin_names() -> None:
    completer = make(MetadataSnapshot())
    for line in ("\\alias rm ", "\\probe A x --node ", "\\probe A x --user ", "\\probe A "):
        assert texts(completer, line) == []


# --- the refresher --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo() -> Iterator[Sandbox]:
    with Sandbox(seed="demo", nodes=2) as server:
        yield server


def refreshed(api: RestClient) -> MetadataSnapshot:
    cache = MetadataCache()
    refresher = MetadataRefresher(cache, lambda: api)
    refresher.refresh()
    assert refresher.wait(10)
    return cache.snapshot


def test_refresh_loads_aliases_and_nodes_and_no_error_without_rbac(demo: Sandbox) -> None:
    httpx.delete(f"{demo.url}/__sandbox/requests")
    snapshot = refreshed(RestClient(demo.url, retries=0))
    assert snapshot.error is None
    assert dict(snapshot.aliases) == {"Docs": "DocumentChunk"}
    assert snapshot.nodes == ("node1", "node2")
    assert snapshot.users == () and snapshot.roles == ()  # the sandbox has no RBAC here
    assert snapshot.resolve("docs") == "DocumentChunk"
    paths = [e["path"] for e in httpx.get(f"{demo.url}/__sandbox/requests").json()]
    assert paths == ["/v1/schema", "/v1/aliases", "/v1/nodes", "/v1/users/db",
                     "/v1/authz/roles"]


def test_shards_load_lazily(demo: Sandbox) -> None:
    cache = MetadataCache(refreshed(RestClient(demo.url, retries=0)))
    refresher = MetadataRefresher(cache, lambda: RestClient(demo.url, retries=0))
    assert refresher.load_shards("Article").wait(5)
    shards = cache.snapshot.shards["Article"]
    expected = {s["name"] for s in httpx.get(f"{demo.url}/v1/schema/Article/shards").json()}
    assert set(shards) == expected and set(shards.values()) == {"READY"}
    completer = MetaCommandCompleter(REGISTRY, cache, refresher=refresher)
    assert sorted(texts(completer, "\\probe Article ")) == sorted(expected)


def rbac_server(users: int, roles: int) -> httpx.MockTransport:
    """Answers the schema with one class, and the RBAC lists with the given statuses."""

    def answer(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/v1/schema":
            return httpx.Response(200, json={"classes": CLASSES})
        if path == "/v1/users/db":
            return httpx.Response(users, json=[{"userId": "alice", "active": True},
                                               {"userId": "bob", "active": False}]
                                  if users == 200 else {"error": [{"message": "forbidden"}]})
        if path == "/v1/authz/roles":
            return httpx.Response(roles, json=[{"name": "admin", "permissions": []}]
                                  if roles == 200 else None)
        return httpx.Response(404)

    return httpx.MockTransport(answer)


@pytest.mark.parametrize(("users", "roles", "found_users", "found_roles"), [
    (200, 200, ("alice", "bob"), ("admin",)),
    (403, 200, (), ("admin",)),
    (401, 401, (), ()),
    (200, 500, ("alice", "bob"), ()),
])
def test_users_and_roles_only_when_the_server_answers(users: int, roles: int,
                                                      found_users: tuple[str, ...],
                                                      found_roles: tuple[str, ...]) -> None:
    api = RestClient("http://rbac.test", retries=0, transport=rbac_server(users, roles))
    snapshot = refreshed(api)
    assert snapshot.error is None and snapshot.collections
    assert snapshot.users == found_users and snapshot.roles == found_roles
    assert snapshot.nodes == () and dict(snapshot.aliases) == {}


# --- through the REPL -----------------------------------------------------------------------

def test_pty_completes_tenants_and_aliases(terminal: pexpect.spawn) -> None:
    terminal.send("\\tenant set SupportTicket ini")
    terminal.expect("INACTIVE")  # the menu: initech with its status, loaded in the background
    terminal.send("\t")
    terminal.send(" --status ACTIVE\r")
    terminal.send("\r")
    terminal.expect("set 1 tenant of SupportTicket ACTIVE")
    terminal.send("\\alias rm ")
    terminal.expect("alias of DocumentChunk")
    terminal.send("\t")
    terminal.send(" --dry-run --format json\r")
    terminal.send("\r")
    terminal.expect(r'"path": "/v1/aliases/Docs"')
    terminal.sendline("\\q")
    terminal.expect(pexpect.EOF)
