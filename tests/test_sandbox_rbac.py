"""RBAC in the sandbox over HTTP: the /v1/authz endpoints with Weaviate's statuses and
texts, enforcement on every resource family with Weaviate's 403, globs and the role scopes.

One RBAC sandbox per module: root (root role) and bob, who starts with no role; each test
gives bob what it needs through its own role and takes it back at the end.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from sandbox import Sandbox
from sandbox.__main__ import main

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


def test_deprecated_user_roles_and_group_revoke(root: httpx.Client, bob: httpx.Client,
                                                grant) -> None:
    """``/authz/users/{id}/roles`` (before 1.30) answers full roles; group revoke empties
    the group, which then is no longer listed."""
    name = grant({"action": "read_cluster"})
    assert root.get("/authz/users/bob/roles").json() == [
        {"name": name, "permissions": [{"action": "read_cluster"}]}]
    assert bob.get("/authz/users/bob/roles").status_code == 200  # one's own
    assert root.get("/authz/users/nobody/roles").status_code == 404
    r = bob.get("/authz/users/root/roles")
    assert message(r) == FORBIDDEN + "read_users [[Domain: users, User: root]]"
    assert root.post("/authz/groups/ops/assign",
                     json={"roles": [name], "groupType": "oidc"}).status_code == 200
    assert root.get("/authz/groups/ops/roles/oidc", params={"includeFullRoles": "true"}
                    ).json() == [{"name": name, "permissions": [{"action": "read_cluster"}]}]
    assert root.post("/authz/groups/ops/revoke",
                     json={"roles": [name], "groupType": "oidc"}).status_code == 200
    assert root.get("/authz/groups/ops/roles/oidc").json() == []
    assert "ops" not in root.get("/authz/groups/oidc").json()
    assert root.post("/authz/groups/ops/revoke", json={"roles": ["ghost"], "groupType": "oidc"}
                     ).status_code == 404


def test_own_info_lists_roles_with_permissions(bob: httpx.Client, grant) -> None:
    name = grant({"action": "read_nodes", "nodes": {"verbosity": "verbose",
                                                    "collection": "Art*"}})
    assert bob.get("/users/own-info").json()["roles"] == [{"name": name, "permissions": [
        {"action": "read_nodes", "nodes": {"collection": "Art*", "verbosity": "verbose"}}]}]


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


def test_bodies_that_do_not_decode_are_400(root: httpx.Client) -> None:
    r = root.post("/authz/roles", json={"name": 5, "permissions": []})
    assert r.status_code == 400 and r.json()["message"].endswith(
        "cannot unmarshal number into Go struct field Role.name of type string")
    r = root.post("/authz/users/bob/assign", json={"roles": "viewer"})
    assert r.status_code == 400 and "AssignRoleToUserBody.roles of type []string" in r.text
