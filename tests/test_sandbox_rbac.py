"""RBAC in the sandbox over HTTP: the /v1/authz endpoints with Weaviate's statuses and
texts, enforcement on every resource family with Weaviate's 403, globs and the role scopes.

One RBAC sandbox per module: root (root role) and bob, who starts with no role; each test
gives bob what it needs through its own role and takes it back at the end.
"""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from sandbox import Sandbox
from sandbox.__main__ import main
from sandbox.guards import guard
from sandbox.http import Request

FORBIDDEN = "rbac: authorization, forbidden action: user 'bob' has insufficient permissions to "


@pytest.fixture(scope="module")
def server() -> Iterator[Sandbox]:
    with Sandbox(seed="demo", api_keys={"root-key": "root", "bob-key": "bob"}, rbac=True,
                 root_users=["root"]) as sandbox:
        yield sandbox


def as_key(server: Sandbox, key: str) -> httpx.Client:
    """A client on the sandbox's /v1 that sends an API key."""
    return httpx.Client(base_url=server.url + "/v1", headers={"Authorization": f"Bearer {key}"})


@pytest.fixture(scope="module")
def root(server: Sandbox) -> Iterator[httpx.Client]:
    with as_key(server, "root-key") as client:
        yield client


@pytest.fixture(scope="module")
def bob(server: Sandbox) -> Iterator[httpx.Client]:
    with as_key(server, "bob-key") as client:
        yield client


@pytest.fixture
def grant(root: httpx.Client) -> Iterator:
    """Give bob a fresh role with the given permissions; removed after the test."""
    made: list[str] = []

    def give(*permissions: dict) -> str:
        name = f"r{len(made)}"
        assert root.post("/authz/roles", json={"name": name, "permissions": list(permissions)}
                         ).status_code == 201
        assert root.post("/authz/users/bob/assign",
                         json={"roles": [name], "userType": "db"}).status_code == 200
        made.append(name)
        return name

    yield give
    for name in made:
        assert root.delete(f"/authz/roles/{name}").status_code == 204


def message(response: httpx.Response) -> str:
    return response.json()["error"][0]["message"]


def test_built_in_roles(root: httpx.Client, bob: httpx.Client, grant) -> None:
    """admin, read-only, root and viewer exist with Weaviate's permission shapes; none can be
    created, changed or deleted; root is hidden from users who are not root."""
    roles = {r["name"]: r["permissions"] for r in root.get("/authz/roles").json()}
    assert list(roles) == ["admin", "read-only", "root", "viewer"]
    assert {"action": "read_data", "data": {"collection": "*", "object": "*", "tenant": "*"}} \
        in roles["admin"]
    assert {"action": "manage_backups", "backups": {"collection": "*"}} in roles["admin"]
    assert {"action": "read_nodes", "nodes": {"collection": "*", "verbosity": "verbose"}} \
        in roles["viewer"]
    assert all(p["action"].startswith("read_") for p in roles["viewer"])
    assert bob.get("/authz/roles").json() == []  # no read_roles
    r = root.delete("/authz/roles/admin")
    assert (r.status_code, message(r)) == (400, "you can not delete built-in role admin")
    r = root.post("/authz/roles/viewer/add-permissions",
                  json={"permissions": [{"action": "read_cluster"}]})
    assert (r.status_code, message(r)) == (400, "you can not update built-in role viewer")
    r = root.post("/authz/roles", json={"name": "admin", "permissions": []})
    assert message(r) == "you cannot create role with the same name as built-in role admin"
    grant({"action": "read_roles", "roles": {"role": "*", "scope": "all"}})
    assert "root" not in [r["name"] for r in bob.get("/authz/roles").json()]


def test_role_endpoints(root: httpx.Client) -> None:
    """Create, conflict, read, extend, check, shrink and delete, with Weaviate's answers."""
    data = {"action": "read_data", "data": {"collection": "article"}}
    assert root.post("/authz/roles", json={"name": "editor", "permissions": [data]}
                     ).status_code == 201
    r = root.post("/authz/roles", json={"name": "editor", "permissions": [data]})
    assert (r.status_code, message(r)) == (409, "role with name editor already exists")
    assert root.get("/authz/roles/editor").json() == {"name": "editor", "permissions": [
        {"action": "read_data", "data": {"collection": "Article", "object": "*", "tenant": "*"}}]}
    nodes = {"action": "read_nodes", "nodes": {"verbosity": "minimal"}}
    assert root.post("/authz/roles/editor/add-permissions",
                     json={"permissions": [nodes]}).status_code == 200
    assert root.post("/authz/roles/editor/has-permission", json=nodes).json() is True
    assert root.post("/authz/roles/editor/has-permission",
                     json={"action": "delete_data"}).json() is False
    assert root.post("/authz/roles/editor/remove-permissions",
                     json={"permissions": [nodes, data]}).status_code == 200
    assert root.get("/authz/roles/editor").json()["permissions"] == []  # the role stays
    assert root.delete("/authz/roles/editor").status_code == 204
    missing = root.get("/authz/roles/editor")
    assert (missing.status_code, missing.content) == (404, b"")
    assert root.delete("/authz/roles/editor").status_code == 204  # idempotent
    assert root.post("/authz/roles/editor/add-permissions",
                     json={"permissions": [nodes]}).status_code == 404


@pytest.mark.parametrize(("body", "status", "text"), [
    ({"name": "", "permissions": []}, 400, "role name is required"),
    ({"name": "9lives", "permissions": []}, 400, "role name is invalid"),
    ({"name": "ok", "permissions": [{"action": "read_data", "data": {"collection": "a/b"}}]},
     422, "role permissions are invalid: 'A/b' is not a valid class name\n"
          "collection 'A/b' must not contain '/'"),
    ({"name": "ok", "permissions": [{"action": "read_tenants", "tenants": {"tenant": "a b"}}]},
     422, "role permissions are invalid:  'a b' is not a valid tenant name. should only "
          "contain alphanumeric characters (a-z, A-Z, 0-9), underscore (_), and hyphen (-), "
          "with a length between 1 and 64 characters"),
    ({"name": "ok", "permissions": [{"action": "read_groups", "groups": {"group": "g"}}]},
     400, "invalid role: policy: invalid groups type: "),
])
def test_role_validation(root: httpx.Client, body: dict, status: int, text: str) -> None:
    r = root.post("/authz/roles", json=body)
    assert (r.status_code, message(r)) == (status, text)


def test_unknown_action_is_refused_by_the_spec(root: httpx.Client) -> None:
    r = root.post("/authz/roles", json={"name": "x", "permissions": [{"action": "fly"}]})
    assert r.status_code == 422 and r.json()["code"] == 606
    assert r.json()["message"].startswith("permissions.0.action in body should be one of [")


def test_assignments(root: httpx.Client, bob: httpx.Client, grant) -> None:
    """Assign and revoke with Weaviate's refusals; role, user and group listings."""
    r = root.post("/authz/users/nobody/assign", json={"roles": ["viewer"], "userType": "db"})
    assert (r.status_code, message(r)) == (404, "username to assign role to doesn't exist")
    r = root.post("/authz/users/bob/assign", json={"roles": ["ghost"], "userType": "db"})
    assert (r.status_code, message(r)) == (404, "one or more of the roles requested doesn't exist")
    r = root.post("/authz/users/bob/assign", json={"roles": ["root"]})
    assert (r.status_code, message(r)) == (
        403, "assigning: modifying 'root' role or changing its assignments is not allowed")
    r = root.post("/authz/users/bob/assign", json={"roles": []})
    assert (r.status_code, message(r)) == (400, "roles can not be empty")
    name = grant({"action": "read_cluster"})
    assert root.get("/authz/users/bob/roles/db").json() == [{"name": name, "permissions": None}]
    full = root.get("/authz/users/bob/roles/db", params={"includeFullRoles": "true"}).json()
    assert full == [{"name": name, "permissions": [{"action": "read_cluster"}]}]
    assert bob.get("/authz/users/bob/roles/db").status_code == 200  # one's own roles
    assert root.get(f"/authz/roles/{name}/user-assignments").json() == [
        {"userId": "bob", "userType": "db_env_user"}]
    assert root.get(f"/authz/roles/{name}/users").json() == ["bob"]
    assert root.get("/authz/users/bob/roles/ldap").status_code == 422
    r = root.get("/authz/roles/root/user-assignments")
    assert r.json() == [{"userId": "root", "userType": "db_env_user"}]
    r = bob.get("/authz/roles/root/user-assignments")
    assert message(r) == "modifying 'root' role or changing its assignments is not allowed"
    assert root.post("/authz/groups/devs/assign",
                     json={"roles": [name], "groupType": "oidc"}).status_code == 200
    assert root.get("/authz/groups/oidc").json() == ["devs"]
    assert root.get(f"/authz/roles/{name}/group-assignments").json() == [
        {"groupId": "devs", "groupType": "oidc"}]
    r = root.post("/authz/groups/devs/assign", json={"roles": [name]})
    assert (r.status_code, message(r)) == (400, "unknown groupType: ")
    assert root.post("/authz/users/bob/revoke", json={"roles": [name]}).status_code == 200
    assert root.get("/authz/users/bob/roles/db").json() == []
    me = bob.get("/users/own-info").json()
    assert me == {"groups": None, "roles": None, "username": "bob"}


def test_assignment_without_user_type_counts_for_db_and_oidc(root: httpx.Client) -> None:
    """As Weaviate does, an assignment without ``userType`` is made for both user types."""
    assert root.post("/authz/roles", json={"name": "twice", "permissions": []}
                     ).status_code == 201
    assert root.post("/authz/users/bob/assign", json={"roles": ["twice"]}).status_code == 200
    assert root.get("/authz/roles/twice/user-assignments").json() == [
        {"userId": "bob", "userType": "oidc"}, {"userId": "bob", "userType": "db_env_user"}]
    assert root.get("/authz/roles/twice/users").json() == ["bob"]
    assert root.delete("/authz/roles/twice").status_code == 204


def test_own_info_lists_roles_with_permissions(bob: httpx.Client, grant) -> None:
    name = grant({"action": "read_nodes", "nodes": {"verbosity": "verbose",
                                                    "collection": "Art*"}})
    assert bob.get("/users/own-info").json()["roles"] == [{"name": name, "permissions": [
        {"action": "read_nodes", "nodes": {"collection": "Art*", "verbosity": "verbose"}}]}]


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
    ("GET", "/nodes?output=verbose", None,
     "read_nodes [[Domain: nodes, Verbosity: verbose, Collection: *]]"),
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


def test_backup_without_include_and_no_permission_is_forbidden(bob: httpx.Client) -> None:
    r = bob.post("/backups/filesystem", json={"id": "b2"})
    assert r.status_code == 403
    assert message(r).startswith("authorization, forbidden action: user 'bob' has "
                                 "insufficient permissions to C [backups/collections/")


def test_graphql_denial_is_a_graphql_error(bob: httpx.Client, grant) -> None:
    """A class bob may not read is null with the forbidden message; a tenant he may read
    answers as usual in the same query."""
    grant({"action": "read_data", "data": {"collection": "SupportTicket", "tenant": "acme"}})
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


def test_rbac_off_answers_as_weaviate_without_a_role_store() -> None:
    """Without --rbac the role endpoints read empty and accept writes that change nothing."""
    with Sandbox() as plain, httpx.Client(base_url=plain.url + "/v1") as http:
        assert http.get("/authz/roles").json() == []
        assert http.post("/authz/roles", json={"name": "x", "permissions": []}
                         ).status_code == 201
        assert http.get("/authz/roles/x").status_code == 404
        r = http.post("/authz/users/x/assign", json={"roles": ["x"]})
        assert (r.status_code, message(r)) == (
            404, "one or more of the roles requested doesn't exist")


def test_flags() -> None:
    """--rbac and --db-users need API keys, and RBAC excludes the admin list."""
    assert main(["--rbac", "--port", "0"]) == 2
    assert main(["--db-users", "--port", "0"]) == 2
    assert main(["--rbac", "--api-key", "k=u", "--read-only-key", "r=v", "--port", "0"]) == 2


@pytest.mark.parametrize(("method", "route", "path", "body", "denied"), [
    ("POST", "/v1/replication/replicate", "/v1/replication/replicate",
     {"collection": "article", "shard": "s1"},
     "create_replicate [[Domain: replicate, Collection: Article, Shard: s1]]"),
    ("GET", "/v1/replication/sharding-state", "/v1/replication/sharding-state?collection=A",
     None, "read_replicate [[Domain: replicate, Collection: A, Shard: *]]"),
    ("POST", "/v1/replication/replicate/{id}/cancel", "/v1/replication/replicate/x/cancel",
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
                      params={"id": "x", "className": "Article"}, user="bob", route=route)
    refusal = guard(server.app, request)
    assert refusal is not None and refusal.status == 403
    assert FORBIDDEN + denied in refusal.body.decode()
