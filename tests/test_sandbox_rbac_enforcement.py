"""RBAC enforcement in the sandbox over HTTP: every resource family answers Weaviate's 403,
globs and the ``/shards/#`` carve-out match as Weaviate matches them, aliases resolve before
the check, GraphQL reports denials as errors, and routes served by other modules are in the
guard table. Fixtures (one RBAC sandbox per module) come from test_sandbox_rbac."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from sandbox import Sandbox
from sandbox.guards import guard
from sandbox.http import Request
from tests.test_sandbox_rbac import FORBIDDEN, bob, grant, message, root, server

__all__ = ["bob", "grant", "root", "server"]  # fixtures, imported for pytest


@pytest.mark.parametrize(("method", "path", "body", "denied"), [
    ("GET", "/schema/Article", None, "read_collections [[Domain: collections, "
                                     "Collection: Article]]"),
    ("POST", "/schema", {"class": "Fresh"}, "create_collections [[Domain: collections, "
                                            "Collection: Fresh]]"),
    ("DELETE", "/schema/Article", None, "delete_collections [[Domain: collections, "
                                        "Collection: Article]]"),
    ("GET", "/objects?class=Article", None, "read_data [[Domain: data, Collection: Article, "
                                            "Tenant: *, Object: *]]"),
    ("POST", "/objects", {"class": "Article", "properties": {}},
     "create_data [[Domain: data, Collection: Article, Tenant: *, Object: *]]"),
    ("POST", "/batch/objects", {"objects": [{"class": "Article"}]},
     "update_data [[Domain: data, Collection: Article, Tenant: *, Object: *]]"),
    ("GET", "/schema/SupportTicket/tenants/acme", None,
     "read_tenants [[Domain: tenants, Collection: SupportTicket, Tenant: acme]]"),
    ("POST", "/schema/SupportTicket/tenants", [{"name": "new"}],
     "create_tenants [[Domain: tenants, Collection: SupportTicket, Tenant: new]]"),
    ("GET", "/nodes", None, "read_nodes [[Domain: nodes, Verbosity: minimal]]"),
    ("GET", "/nodes/Article?output=verbose", None,
     "read_nodes [[Domain: nodes, Verbosity: verbose, Collection: Article]]"),
    ("GET", "/cluster/statistics", None, "read_cluster []"),
    ("POST", "/backups/filesystem", {"id": "b1", "include": ["Article"]},
     "create_backups [[Domain: backups,Collection: Article]]"),
    ("POST", "/aliases", {"alias": "News", "class": "Article"},
     "create_aliases [[Domain: aliases, Collection: Article, Alias: News]]"),
    ("GET", "/users/db/alice", None, "read_users [[Domain: users, User: alice]]"),
    ("POST", "/authz/users/root/assign", {"roles": ["viewer"]},
     "assign_and_revoke_users [[Domain: users, User: root]]"),
    ("GET", "/authz/groups/devs/roles/oidc", None, "read_groups []"),
    ("GET", "/authz/roles/viewer", None, "read_roles [[Domain: roles, Role: viewer]]"),
])
def test_denial_per_resource_family(bob: httpx.Client, server: Sandbox, method: str,
                                    path: str, body: object, denied: str) -> None:
    """A user without the permission gets 403 naming the action and resource."""
    r = bob.request(method, path, json=body)
    assert r.status_code == 403, r.text
    assert message(r).endswith(FORBIDDEN + denied), message(r)


def test_denied_writes_changed_nothing(root: httpx.Client) -> None:
    """The refused writes above reached no handler."""
    assert root.get("/schema/Article").status_code == 200
    assert root.get("/schema/Fresh").status_code == 404
    assert root.get("/aliases/News").status_code == 404
    assert root.get("/backups/filesystem/b1").status_code == 404
    assert "new" not in [t["name"] for t in root.get("/schema/SupportTicket/tenants").json()]


def test_aliases_are_checked_against_their_collection(bob: httpx.Client, grant) -> None:
    """An unknown alias is a 404 before any check; a known one needs the permission on the
    collection it points to (the demo's ``Docs`` points to DocumentChunk)."""
    assert bob.get("/aliases/Nope").status_code == 404
    r = bob.get("/aliases/Docs")
    assert message(r).endswith("read_aliases [[Domain: aliases, Collection: DocumentChunk, "
                               "Alias: Docs]]")
    grant({"action": "read_aliases", "aliases": {"collection": "DocumentChunk"}},
          {"action": "read_data", "data": {"collection": "DocumentChunk"}})
    assert bob.get("/aliases/Docs").json() == {"alias": "Docs", "class": "DocumentChunk"}
    # Data read through the alias is checked against the collection, as Weaviate resolves
    # aliases before authorizing.
    assert bob.get("/objects", params={"class": "Docs", "limit": 1}).status_code == 200
    assert bob.get("/aliases").json() == {"aliases": [{"alias": "Docs",
                                                       "class": "DocumentChunk"}]}


def test_backup_without_include_and_no_permission_is_forbidden(bob: httpx.Client) -> None:
    r = bob.post("/backups/filesystem", json={"id": "b2"})
    assert r.status_code == 403
    assert message(r).startswith("authorization, forbidden action: user 'bob' has "
                                 "insufficient permissions to C [backups/collections/")


def test_graphql_denial_is_a_graphql_error(bob: httpx.Client, grant) -> None:
    """A class bob may not read is null with the forbidden message; a tenant he may read
    answers as usual in the same query."""
    grant({"action": "read_data", "data": {"collection": "SupportTicket", "tenant": "acme"}},
          {"action": "read_collections", "collections": {"collection": "*"}})
    query = ('{ Aggregate { SupportTicket(tenant: "acme") { meta { count } } '
             'Article { meta { count } } } }')
    r = bob.post("/graphql", json={"query": query})
    assert r.status_code == 200
    body = r.json()
    assert body["data"]["Aggregate"]["Article"] is None
    assert body["data"]["Aggregate"]["SupportTicket"][0]["meta"]["count"] > 0
    assert [e["path"] for e in body["errors"]] == [["Aggregate", "Article"]]
    assert body["errors"][0]["message"] == FORBIDDEN + (
        "read_data [[Domain: data, Collection: Article, Tenant: *, Object: *]]")
    r = bob.post("/graphql", json={"query": '{ Aggregate { SupportTicket(tenant: "globex") '
                                            "{ meta { count } } } }"})
    assert r.json()["errors"][0]["message"].endswith("Tenant: globex, Object: *]]")


def test_graphql_needs_every_collections_definition(bob: httpx.Client, grant) -> None:
    """Any GraphQL request needs read_collections on all collections, before the query is
    read (handlers_graphql.go), even one naming only a class bob may read."""
    grant({"action": "read_data", "data": {"collection": "Article"}},
          {"action": "read_collections", "collections": {"collection": "Article"}})
    for path, body in (("/graphql", {"query": "{ Aggregate { Article { meta { count } } } }"}),
                       ("/graphql/batch", [{"query": "{ Get { Article { title } } }"}])):
        r = bob.post(path, json=body)
        assert r.status_code == 403
        assert r.json()["error"][0]["message"] == FORBIDDEN + (
            "read_collections [[Domain: collections, Collection: *]]")


def test_graphql_batch_denials_per_query(bob: httpx.Client, grant) -> None:
    grant({"action": "read_collections", "collections": {"collection": "*"}})
    r = bob.post("/graphql/batch", json=[{"query": "{ Aggregate { Article { meta { count } } } }"}])
    assert r.status_code == 200
    assert r.json()[0]["data"] == {"Aggregate": {"Article": None}}
    assert r.json()[0]["errors"][-1]["message"].startswith(FORBIDDEN + "read_data")


def test_globs_and_the_collection_carve_out(bob: httpx.Client, grant) -> None:
    """``Art*`` matches Article only; a tenant-level grant does not cover the collection."""
    grant({"action": "read_data", "data": {"collection": "Art*"}},
          {"action": "read_tenants", "tenants": {"collection": "SupportTicket"}},
          {"action": "read_collections", "collections": {"collection": "Art*"}})
    assert bob.get("/objects", params={"class": "Article"}).status_code == 200
    assert bob.get("/objects", params={"class": "Product"}).status_code == 403
    assert bob.get("/schema/SupportTicket/tenants/acme").status_code == 200
    assert bob.get("/schema/SupportTicket").status_code == 403
    assert [c["class"] for c in bob.get("/schema").json()["classes"]] == ["Article"]
    assert len(bob.get("/schema/SupportTicket/tenants").json()) == 4


def test_role_scope_match_grants_only_what_one_holds(bob: httpx.Client, grant) -> None:
    grant({"action": "create_roles", "roles": {"role": "*", "scope": "match"}},
          {"action": "read_data", "data": {"collection": "Article"}})
    ok = {"name": "sub", "permissions": [{"action": "read_data",
                                          "data": {"collection": "Article"}}]}
    assert bob.post("/authz/roles", json=ok).status_code == 201
    more = {"name": "sub2", "permissions": [{"action": "delete_data",
                                             "data": {"collection": "Article"}}]}
    r = bob.post("/authz/roles", json=more)
    assert r.status_code == 403
    assert message(r) == FORBIDDEN + ("delete_data [[Domain: data, Collection: Article, "
                                      "Tenant: .*, Object: .*]]")


OP_ID = "00000000-0000-4000-8000-000000000001"  # bound as a uuid before authorizing


@pytest.mark.parametrize(("method", "route", "path", "body", "denied"), [
    ("POST", "/v1/replication/replicate", "/v1/replication/replicate",
     {"collection": "article", "shard": "s1"},
     "create_replicate [[Domain: replicate, Collection: Article, Shard: s1]]"),
    ("GET", "/v1/replication/sharding-state", "/v1/replication/sharding-state?collection=A",
     None, "read_replicate [[Domain: replicate, Collection: A, Shard: *]]"),
    ("POST", "/v1/replication/replicate/{id}/cancel", f"/v1/replication/replicate/{OP_ID}/cancel",
     None, "update_replicate [[Domain: replicate, Collection: *, Shard: *]]"),
    ("GET", "/v1/tasks", "/v1/tasks", None, "read_cluster []"),
    ("POST", "/v1/schema/{className}/properties/{propertyName}/index/{indexName}/rebuild",
     "/v1/schema/Article/properties/title/index/searchable/rebuild", None,
     "update_data [[Domain: data, Collection: Article, Tenant: *, Object: *]]"),
])
def test_guard_table_covers_routes_served_elsewhere(server: Sandbox, method: str, route: str,
                                                    path: str, body: object,
                                                    denied: str) -> None:
    """Routes other modules serve (replication, tasks, indexes) are checked as Weaviate's
    handlers check them, once they are routed here."""
    url = urlsplit(path)
    request = Request(method, url.path, dict(parse_qsl(url.query)), {},
                      b"" if body is None else httpx.Request("POST", "/", json=body).content,
                      params={"id": OP_ID, "className": "Article"}, user="bob", route=route)
    refusal = guard(server.app, request)
    assert refusal is not None and refusal.status == 403
    assert FORBIDDEN + denied in refusal.body.decode()


def test_has_permission_is_logged_as_a_read(server: Sandbox, root: httpx.Client) -> None:
    """A dry run may ask has-permission: the request log does not count it as a write."""
    root.post("/authz/roles/viewer/has-permission", json={"action": "read_cluster"})
    log = httpx.get(server.url + "/__sandbox/requests").json()
    entry = [e for e in log if e["path"].endswith("/has-permission")][-1]
    assert entry["mutating"] is False


def test_verbose_nodes_show_only_readable_classes(bob: httpx.Client, grant) -> None:
    """Verbose output of every node is not refused: it keeps the shards bob may read, with
    the node's stats summed over them (usecases/nodes/handler.go)."""
    nodes = bob.get("/nodes", params={"output": "verbose"}).json()["nodes"]
    assert nodes[0]["shards"] == [] and nodes[0]["stats"]["shardCount"] == 0
    grant({"action": "read_nodes", "nodes": {"verbosity": "verbose", "collection": "Article"}})
    node = bob.get("/nodes", params={"output": "verbose"}).json()["nodes"][0]
    assert {s["class"] for s in node["shards"]} == {"Article"}
    assert node["stats"] == {"objectCount": sum(s["objectCount"] for s in node["shards"]),
                             "shardCount": len(node["shards"])}
