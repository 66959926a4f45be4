"""Database users in the sandbox over HTTP (``AUTHENTICATION_DB_USERS_ENABLED``): keys that
work at once, Weaviate's statuses and texts, deactivation, revocation and rotation."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import httpx
import pytest

from sandbox import Sandbox
from tests.test_sandbox_rbac import as_key, message


@pytest.fixture(scope="module")
def server() -> Iterator[Sandbox]:
    with Sandbox(api_keys={"root-key": "root", "bob-key": "bob"}, rbac=True,
                 root_users=["root"], db_users=True) as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def root(server: Sandbox) -> Iterator[httpx.Client]:
    with as_key(server, "root-key") as client:
        yield client


def test_created_key_works_at_once_and_has_weaviates_shape(root: httpx.Client,
                                                           server: Sandbox) -> None:
    r = root.post("/users/db/dora")
    assert r.status_code == 201
    key = r.json()["apikey"]
    identifier, secret, version = base64.b64decode(key).decode().split("_")
    assert (len(identifier), len(secret), version) == (16, 44, "v200")
    with as_key(server, key) as dora:
        assert dora.get("/users/own-info").json()["username"] == "dora"
    info = root.get("/users/db/dora").json()
    assert info["apiKeyFirstLetters"] == key[:3]  # root sees the first letters
    assert (info["active"], info["dbUserType"], info["roles"]) == (True, "db_user", [])
    listed = {u["userId"]: u["dbUserType"] for u in root.get("/users/db").json()}
    assert listed == {"dora": "db_user", "root": "db_env_user", "bob": "db_env_user"}


@pytest.mark.parametrize(("user", "status", "text"), [
    ("bob", 409, "user 'bob' already exists"),
    ("1abc", 422, "'1abc' is not a valid user name"),
    ("x" * 130, 422, f"'{'x' * 130}' is not a valid user name. Name should not be longer "
                     "than 128 characters"),
])
def test_create_refusals(root: httpx.Client, user: str, status: int, text: str) -> None:
    r = root.post(f"/users/db/{user}")
    assert (r.status_code, message(r)) == (status, text)


def test_deactivate_revoke_rotate(root: httpx.Client, server: Sandbox) -> None:
    key = root.post("/users/db/eve").json()["apikey"]
    assert root.post("/users/db/eve/deactivate").status_code == 200
    assert root.post("/users/db/eve/deactivate").status_code == 409
    with as_key(server, key) as eve:
        r = eve.get("/schema")
        assert r.json() == {"code": 401, "message": "unauthorized: invalid api key: "
                                                    "user deactivated"}
        assert root.post("/users/db/eve/activate").status_code == 200
        assert root.post("/users/db/eve/activate").status_code == 409
        assert eve.get("/users/own-info").status_code == 200
        assert root.post("/users/db/eve/deactivate", json={"revoke_key": True}
                         ).status_code == 200
        assert root.post("/users/db/eve/activate").status_code == 200
        assert eve.get("/users/own-info").json()["message"] == \
            "unauthorized: invalid api key: key is revoked"
    new = root.post("/users/db/eve/rotate-key").json()["apikey"]
    with as_key(server, new) as eve, as_key(server, key) as old:
        assert eve.get("/users/own-info").status_code == 200
        assert old.get("/users/own-info").json()["message"] == \
            "unauthorized: invalid api key: invalid token"


def test_updates_refused_as_weaviate_does(root: httpx.Client) -> None:
    for path in ("rotate-key", "activate", "deactivate"):
        r = root.post(f"/users/db/bob/{path}")
        assert (r.status_code, message(r)) == (422, "user 'bob' is static user")
    r = root.post("/users/db/root/deactivate")
    assert message(r) == 'cannot deactivate its own user "root"'
    r = root.delete("/users/db/root")
    assert message(r) == 'cannot delete its own user "root"'
    missing = root.post("/users/db/ghost/rotate-key")
    assert (missing.status_code, missing.content) == (404, b"")


def test_delete_takes_the_roles_along(root: httpx.Client, server: Sandbox) -> None:
    key = root.post("/users/db/finn").json()["apikey"]
    assert root.post("/authz/users/finn/assign",
                     json={"roles": ["viewer"], "userType": "db"}).status_code == 200
    assert root.get("/authz/roles/viewer/user-assignments").json() == [
        {"userId": "finn", "userType": "db_user"}]
    assert root.delete("/users/db/finn").status_code == 204
    assert root.get("/authz/roles/viewer/user-assignments").json() == []
    with as_key(server, key) as finn:
        assert finn.get("/users/own-info").status_code == 401
    assert root.delete("/users/db/finn").status_code == 404


def test_bob_without_permission(server: Sandbox) -> None:
    with as_key(server, "bob-key") as bob:
        r = bob.post("/users/db/gus")
        assert r.status_code == 403
        assert message(r).endswith("to create_users [[Domain: users, User: gus]]")
        assert bob.get("/users/db").json() == []  # lists only what bob may read


def test_db_users_off() -> None:
    """Without --db-users the list is empty and every other call says it is switched off."""
    with Sandbox(api_keys={"k": "admin"}) as plain, as_key(plain, "k") as http:
        assert http.get("/users/db").json() == []
        r = http.post("/users/db/x")
        assert (r.status_code, message(r)) == (422, "db user management is not enabled")
        assert message(http.get("/users/db/x")) == "db user management is not enabled"
        assert http.get("/users/own-info").json() == {"groups": None, "roles": None,
                                                      "username": "admin"}
