"""The official client's RBAC calls (``client.roles``, ``client.users``, ``client.groups``)
against an RBAC sandbox, over REST, as a root user and as a user without permissions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.test_sandbox_weaviate_client import Connect, connect, dead_grpc_port, status_of

weaviate = pytest.importorskip("weaviate")

from weaviate import WeaviateClient  # noqa: E402
from weaviate.classes.init import Auth  # noqa: E402
from weaviate.classes.rbac import Permissions, RoleScope  # noqa: E402
from weaviate.exceptions import (  # noqa: E402
    InsufficientPermissionsError,
    UnexpectedStatusCodeError,
)

from sandbox import Sandbox  # noqa: E402

__all__ = ["connect", "dead_grpc_port"]  # fixtures, imported for pytest


@pytest.fixture(scope="module")
def server() -> Iterator[Sandbox]:
    """One RBAC sandbox with db users for the module: root and bob (no role)."""
    with Sandbox(seed="demo", api_keys={"root-key": "root", "bob-key": "bob"}, rbac=True,
                 root_users=["root"], db_users=True) as sandbox:
        yield sandbox


@pytest.fixture
def root(server: Sandbox, connect: Connect) -> WeaviateClient:
    return connect(server, auth_credentials=Auth.api_key("root-key"))


@pytest.fixture
def bob(server: Sandbox, connect: Connect) -> WeaviateClient:
    return connect(server, auth_credentials=Auth.api_key("bob-key"))


def test_roles_lifecycle(root: WeaviateClient) -> None:
    """Create, list, read, extend, check, shrink and delete a role; built-ins are listed and
    cannot be deleted."""
    root.roles.create(role_name="reader", permissions=[
        Permissions.data(collection="Art*", read=True),
        Permissions.collections(collection="Article", read_config=True),
        Permissions.roles(role="reader", read=True, scope=RoleScope.MATCH)])
    roles = root.roles.list_all()
    assert {"admin", "viewer", "root", "read-only", "reader"} <= set(roles)
    reader = root.roles.get("reader")
    assert reader is not None
    assert [p.collection for p in reader.data_permissions] == ["Art*"]
    assert reader.collections_permissions[0].collection == "Article"
    assert root.roles.exists("reader") and not root.roles.exists("nobody")
    assert root.roles.has_permissions(
        permissions=Permissions.data(collection="Art*", read=True), role="reader")
    assert not root.roles.has_permissions(
        permissions=Permissions.data(collection="Art*", create=True), role="reader")
    root.roles.add_permissions(permissions=Permissions.Nodes.minimal(read=True),
                               role_name="reader")
    assert root.roles.get("reader").nodes_permissions
    root.roles.remove_permissions(permissions=Permissions.Nodes.minimal(read=True),
                                  role_name="reader")
    assert not root.roles.get("reader").nodes_permissions
    with pytest.raises(UnexpectedStatusCodeError) as exc:
        root.roles.delete("admin")
    assert status_of(exc) == 400 and "built-in role admin" in str(exc.value)
    root.roles.delete("reader")
    assert root.roles.get("reader") is None


def test_db_users_and_assignments(root: WeaviateClient, server: Sandbox,
                                  connect: Connect) -> None:
    """A created user's key works at once; roles assigned through users.db show up in its
    own info; deactivation locks it out; rotation gives a new working key."""
    key = root.users.db.create(user_id="carol")
    assert len(key) > 40
    carol = connect(server, auth_credentials=Auth.api_key(key))
    assert carol.users.get_my_user().user_id == "carol"
    root.users.db.assign_roles(user_id="carol", role_names=["viewer"])
    assert set(root.users.db.get_assigned_roles(user_id="carol")) == {"viewer"}
    assert list(carol.users.get_my_user().roles) == ["viewer"]
    assert {u.user_id for u in root.users.db.list_all()} >= {"carol", "root", "bob"}
    info = root.users.db.get(user_id="carol")
    assert info.active and info.role_names == ["viewer"]
    assert [u.user_id for u in root.roles.get_user_assignments("viewer")] == ["carol"]
    assert root.users.db.deactivate(user_id="carol") is True
    assert root.users.db.deactivate(user_id="carol") is False  # 409: already inactive
    with pytest.raises(UnexpectedStatusCodeError) as exc:
        carol.collections.list_all()
    assert status_of(exc) == 401
    assert root.users.db.activate(user_id="carol") is True
    new_key = root.users.db.rotate_key(user_id="carol")
    assert new_key != key
    again = connect(server, auth_credentials=Auth.api_key(new_key))
    assert again.users.get_my_user().user_id == "carol"
    root.users.db.revoke_roles(user_id="carol", role_names="viewer")
    assert root.users.db.get_assigned_roles(user_id="carol") == {}
    assert root.users.db.delete(user_id="carol") is True
    assert root.users.db.get(user_id="carol") is None


def test_groups(root: WeaviateClient) -> None:
    """OIDC group assignments are stored and listed (no OIDC login reaches them here)."""
    root.groups.oidc.assign_roles(group_id="devs", role_names=["viewer"])
    assert set(root.groups.oidc.get_assigned_roles(group_id="devs")) == {"viewer"}
    assert "devs" in root.groups.oidc.get_known_group_names()
    assert [g.group_id for g in root.roles.get_group_assignments("viewer")] == ["devs"]
    root.groups.oidc.revoke_roles(group_id="devs", role_names=["viewer"])
    assert root.groups.oidc.get_assigned_roles(group_id="devs") == {}


def test_denied_user_sees_the_missing_permission(bob: WeaviateClient) -> None:
    """Without a role every call is refused with Weaviate's 403 naming the permission."""
    with pytest.raises(InsufficientPermissionsError) as exc:
        bob.collections.delete("Article")
    assert "user 'bob' has insufficient permissions to delete_collections" in str(exc.value)
    with pytest.raises(InsufficientPermissionsError):
        bob.roles.create(role_name="mine", permissions=Permissions.cluster(read=True))
    assert bob.collections.list_all() == {}  # listing leaves out what bob may not read
