"""The permission syntax of \\role create and the 403 hints, without a server (pure parsing),
and the admin-list denial as the sandbox answers it."""

from __future__ import annotations

import os
import sys

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from commands.api.forbidden import forbidden_hint, parse_denial
from commands.errors import UsageError
from commands.meta import MODULES
from commands.ops.rbac.permissions import (
    ACTIONS,
    check_role_name,
    check_user_name,
    format_permission,
    parse_permission,
)
from commands.registry import Registry
from completers.meta import MetaCommandCompleter
from completers.metadata import MetadataCache, MetadataSnapshot
from sandbox import Sandbox
from tests.test_workflows import sh

DENIED = ("rbac: authorization, forbidden action: user 'bob' has insufficient permissions to "
          "{action} [{resource}]")


@pytest.mark.parametrize(("text", "permission"), [
    ("read_data:Article", {"action": "read_data", "data": {
        "collection": "Article", "tenant": "*", "object": "*"}}),
    ("read_data:Article/tenantA", {"action": "read_data", "data": {
        "collection": "Article", "tenant": "tenantA", "object": "*"}}),
    ("manage_backups:*", {"action": "manage_backups", "backups": {"collection": "*"}}),
    ("read_nodes:*:verbose", {"action": "read_nodes", "nodes": {
        "collection": "*", "verbosity": "verbose"}}),
    ("update_roles:*:all", {"action": "update_roles", "roles": {"role": "*", "scope": "all"}}),
    ("read_cluster", {"action": "read_cluster"}),
    ("read_groups:/ops", {"action": "read_groups", "groups": {"group": "/ops",
                                                             "groupType": "oidc"}}),
    ("create_aliases:Article/Art", {"action": "create_aliases", "aliases": {
        "collection": "Article", "alias": "Art"}}),
])
def test_permission_syntax_round_trips(text: str, permission: dict) -> None:
    assert parse_permission(text) == permission
    assert format_permission(permission) == (text if text != "manage_backups:*"
                                             else "manage_backups")


def test_every_weaviate_action_parses() -> None:
    for action in ACTIONS:
        assert parse_permission(action)["action"] == action


@pytest.mark.parametrize(("text", "error"), [
    ("read_dat:Article", "unknown permission action 'read_dat'"),
    ("read_data:A/b/c/d", "read_data takes COLLECTION[/TENANT[/OBJECT]]"),
    ("read_nodes:*:fast", "'fast' is not an option of read_nodes"),
    ("read_cluster:X", "read_cluster takes no target"),
    ("read_data:/x", "read_data takes"),
])
def test_bad_permissions_are_one_line_errors(text: str, error: str) -> None:
    with pytest.raises(UsageError, match=error.replace("[", r"\[").replace("*", r"\*")):
        parse_permission(text)


@pytest.mark.parametrize(("action", "resource", "permission"), [
    ("read_data", "[Domain: data, Collection: Article, Tenant: *, Object: *]", "read_data:Article"),
    ("read_data", "[Domain: data, Collection: Article, Tenant: t1, Object: *]",
     "read_data:Article/t1"),
    ("manage_backups", "[Domain: backups,Collection: Article]", "manage_backups:Article"),
    ("read_nodes", "[Domain: nodes, Verbosity: verbose, Collection: *]", "read_nodes:*:verbose"),
    ("read_cluster", "", "read_cluster"),
    ("create_users", "[Domain: users, User: carol]", "create_users:carol"),
    ("update_roles", "[Domain: roles, Role: readers]", "update_roles:readers"),
])
def test_rbac_denials_name_the_permission(action: str, resource: str, permission: str) -> None:
    denial = parse_denial(DENIED.format(action=action, resource=resource))
    assert denial is not None and (denial.user, denial.permissions) == ("bob", (permission,))


def test_the_hint_gives_the_commands_that_grant_it() -> None:
    hint = forbidden_hint(DENIED.format(
        action="read_data", resource="[Domain: data, Collection: Article, Tenant: *, Object: *]"))
    assert hint == (r"missing permission read_data:Article; an admin can grant it: "
                    r"\role create read_data-Article --permission read_data:Article; "
                    r"\grant read_data-Article bob")


def test_verb_and_path_denials_are_mapped_too() -> None:
    message = ("authorization, forbidden action: user 'bob' (of groups 'a', 'b') has "
               "insufficient permissions to R [nodes/verbosity/verbose/collections/Article]")
    assert parse_denial(message).permissions == ("read_nodes:Article:verbose",)
    message = message.replace("R [nodes/verbosity/verbose/collections/Article]",
                              "A [users/carol]")
    assert parse_denial(message).permissions == ("assign_and_revoke_users:carol",)


def test_an_unreadable_403_keeps_the_general_hint() -> None:
    assert "ask an administrator" in forbidden_hint("forbidden")


def test_admin_list_denial_names_the_flag(tmp_path) -> None:
    with Sandbox(api_keys={"rw": "alice", "ro": "bob"}, read_only_users={"bob"},
                 backup_dir=tmp_path) as server:
        env = {**os.environ, "WEAVIATE_URL": server.url, "WEAVIATE_API_KEY": "ro",
               "XDG_CONFIG_HOME": str(tmp_path / "c"), "XDG_STATE_HOME": str(tmp_path / "s")}
        done = sh(env, f"{sys.executable} -m shell -c '\\create Memo'")
    assert done.returncode == 1, done.stderr
    assert "insufficient permissions to C" in done.stderr
    assert "hint: user 'bob' may only read (AUTHORIZATION_ADMINLIST_READONLY_USERS)" in done.stderr


def test_a_rule_refusal_gets_no_permission_hint() -> None:
    assert forbidden_hint("revoking: modifying 'root' role or changing its assignments is not "
                          "allowed") is None


def test_role_names_are_checked_as_weaviate_does() -> None:
    assert check_role_name("read_data-Article") == "read_data-Article"
    with pytest.raises(UsageError, match="'1bad' is not a valid role name"):
        check_role_name("1bad")
    assert check_user_name("ci.bot@example.com") == "ci.bot@example.com"
    with pytest.raises(UsageError, match="'a b' is not a valid user name"):
        check_user_name("a b")


def test_backup_denials_name_manage_backups_for_every_collection() -> None:
    bare = ("authorization, forbidden action: user 'bob' has insufficient permissions to C "
            "[backups/collections/Article backups/collections/Product]")
    assert forbidden_hint(bare) == (
        r"missing permission manage_backups:Article, manage_backups:Product; an admin can grant "
        r"it: \role create manage_backups-Article --permission manage_backups:Article "
        r"--permission manage_backups:Product; \grant manage_backups-Article bob")
    named = DENIED.format(action="create_backups", resource="[Domain: backups,Collection: A]")
    assert parse_denial(named).permissions == ("manage_backups:A",)


def test_permissions_complete_actions_then_collections() -> None:
    completer = MetaCommandCompleter(Registry.from_modules(MODULES), MetadataCache(
        MetadataSnapshot.from_schema([{"class": "Article"}, {"class": "Product"}],
                                     fetched_at=1.0)), lambda: None, tuple, None)

    def texts(line: str) -> list[str]:
        return [c.text for c in completer.get_completions(
            Document(line), CompleteEvent(completion_requested=True))]

    assert texts(r"\role create r --permission read_da") == ["read_data"]
    assert texts(r"\role add r --permission read_data:Ar") == ["read_data:Article"]
    assert texts(r"\role create r --permission read_users:A") == []
