"""The RBAC commands as a user runs them: ``elysiactl -c`` (in-process, as
``inprocess_support`` runs it; the terminal and the REPL as processes) against a sandbox
started as ``python -m sandbox --rbac --root-user root --db-users`` (Weaviate's
AUTHORIZATION_RBAC_ENABLED, AUTHORIZATION_RBAC_ROOT_USERS and AUTHENTICATION_DB_USERS_ENABLED).

One sandbox serves the module; each test uses names of its own.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pexpect
import pytest
from inprocess_support import elysiactl_here

from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
ROOT_KEY, BOB_KEY = "root-key", "bob-key"


def start_sandbox(*flags: str) -> tuple[subprocess.Popen, str]:
    """``python -m sandbox`` on a free port; its URL from the line it prints first."""
    process = subprocess.Popen([sys.executable, "-m", "sandbox", "--port", "0", *flags],
                               cwd=ROOT, stderr=subprocess.PIPE, text=True)
    line = process.stderr.readline() if process.stderr else ""
    found = re.search(r"listening on (http://\S+)", line)
    if found is None:
        process.kill()
        raise RuntimeError(f"the sandbox did not start: {line}")
    return process, found[1]


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    process, address = start_sandbox("--seed", "demo", "--api-key", f"{ROOT_KEY}=root",
                                     "--api-key", f"{BOB_KEY}=bob", "--rbac", "--root-user",
                                     "root", "--db-users")
    yield address
    process.terminate()
    process.wait(10)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("WEAVIATE_")}
    return {**clean, "XDG_CONFIG_HOME": str(tmp_path / "config"),
            "XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT)}


def shell(env: dict[str, str], url: str, key: str, *lines: str,
          fmt: str | None = None) -> subprocess.CompletedProcess:
    """``elysiactl -c LINE ...`` as the user of ``key`` (in-process; the revocation confirmed
    at a terminal and the REPL below are processes)."""
    args = [a for line in lines for a in ("-c", line)] + (["--format", fmt] if fmt else [])
    return elysiactl_here(["--url", url, *args], {**env, "WEAVIATE_API_KEY": key})


def logged(url: str) -> list[dict]:
    return httpx.get(f"{url}/__sandbox/requests").json()


def mutating(url: str) -> list[dict]:
    return [e for e in logged(url) if e["mutating"]]


def clear_log(url: str) -> None:
    httpx.delete(f"{url}/__sandbox/requests")


def as_root(url: str, method: str, path: str) -> httpx.Response:
    """A request of the root user, to check what the server holds."""
    return httpx.request(method, f"{url}{path}", headers={"Authorization": f"Bearer {ROOT_KEY}"})


def roles_of(url: str, user: str) -> list[str]:
    return sorted(r["name"] for r in as_root(url, "GET", f"/v1/authz/users/{user}/roles/db").json())


def key_in(stderr: str) -> str:
    """The API key a \\user create or rotate-key showed on stderr."""
    return re.search(r"not kept anywhere\): (\S+)", stderr)[1]


def audit_text(env: dict[str, str]) -> str:
    return (Path(env["XDG_STATE_HOME"]) / "elysiactl" / "audit.jsonl").read_text()


def test_whoami_names_the_user_its_roles_and_permissions(env, url) -> None:
    done = shell(env, url, ROOT_KEY, r"\whoami", fmt="json")
    assert done.returncode == 0, done.stderr
    me = json.loads(done.stdout)
    assert me["user"] == "root" and "root" in me["roles"]
    assert "manage_backups" in me["permissions"] and "read_nodes:*:verbose" in me["permissions"]


def test_denials_name_the_permission_and_their_hints_grant_it(env, url) -> None:
    """Following each hint literally, as root, until bob's command works."""
    missing = []
    for _ in range(4):
        done = shell(env, url, BOB_KEY, r"\count Article")
        if done.returncode == 0:
            break
        assert done.returncode == 1 and "insufficient permissions" in done.stderr
        hint = next(line for line in done.stderr.splitlines() if line.startswith("hint:"))
        missing.append(re.search(r"missing permission (\S+);", hint)[1])
        commands = hint.split("an admin can grant it: ", 1)[1].split("; ")
        assert commands[0].startswith(r"\role create ") and commands[1].startswith(r"\grant ")
        granted = shell(env, url, ROOT_KEY, *commands)
        assert granted.returncode == 0, granted.stderr
    assert done.returncode == 0, done.stderr
    # GraphQL (the count) needs read_collections on every collection, as in real Weaviate
    assert missing == ["read_collections:Article", "read_collections", "read_data:Article"]
    for permission in missing:  # the other tests' bob has no role
        as_root(url, "DELETE", f"/v1/authz/roles/{permission.replace(':', '-')}")


def test_roles_are_created_shown_changed_and_removed(env, url) -> None:
    clear_log(url)
    line = (r"\role create readers --permission read_data:Article/t1 "
            r"--permission read_nodes:*:verbose")
    dry = shell(env, url, ROOT_KEY, line + " --dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "POST" in dry.stdout and "/v1/authz/roles" in dry.stdout
    assert mutating(url) == []
    done = shell(env, url, ROOT_KEY, line, r"\role add readers --permission read_cluster",
                 r"\role remove readers --permission read_nodes:*:verbose --force",
                 r"\grant readers bob")
    assert done.returncode == 0, done.stderr
    shown = json.loads(shell(env, url, ROOT_KEY, r"\role readers", fmt="json").stdout)
    assert shown == {"role": "readers", "built_in": False, "users": ["bob"], "groups": [],
                     "permissions": ["read_cluster", "read_data:Article/t1"]}
    listed = shell(env, url, ROOT_KEY, r"\roles", fmt="json")
    assert {"role": "readers", "built_in": False, "permissions": 2, "users": ["bob"],
            "groups": []} in json.loads(listed.stdout)
    clear_log(url)
    dry = shell(env, url, ROOT_KEY, r"\role rm readers --dry-run", r"\role rm readers")
    assert dry.returncode == 4 and "bob" in dry.stdout and "--force" in dry.stderr
    assert mutating(url) == []
    gone = shell(env, url, ROOT_KEY, r"\role rm readers --force", r"\role show readers")
    assert gone.returncode == 1 and "no role named 'readers'" in gone.stderr
    assert roles_of(url, "bob") == []


def test_unknown_action_is_refused_before_any_request(env, url) -> None:
    clear_log(url)
    done = shell(env, url, ROOT_KEY, r"\role create x --permission read_dta:Article")
    assert done.returncode == 2
    assert "unknown permission action 'read_dta'" in done.stderr
    assert "did you mean read_data" in done.stderr
    assert not [e for e in logged(url) if "authz" in e["path"]]


def test_grant_and_revoke_with_the_safety_gate(env, url) -> None:
    assert shell(env, url, ROOT_KEY, r"\grant viewer bob").returncode == 0
    assert roles_of(url, "bob") == ["viewer"]
    clear_log(url)
    refused = shell(env, url, ROOT_KEY, r"\revoke viewer bob")
    assert refused.returncode == 4 and "--force" in refused.stderr
    dry = shell(env, url, ROOT_KEY, r"\revoke viewer bob --dry-run",
                r"\revoke viewer bob --force")
    assert dry.returncode == 0 and "/v1/authz/users/bob/revoke" in dry.stdout
    assert [e["path"] for e in mutating(url)] == ["/v1/authz/users/bob/revoke"]
    assert roles_of(url, "bob") == []
    entries = [json.loads(x) for x in audit_text(env).splitlines()]
    assert [(e["command"], e["confirmation"]) for e in entries if e["command"] == "revoke"] == [
        ("revoke", "refused"), ("revoke", "dry-run"), ("revoke", "forced")]


def test_user_create_shows_the_key_once_on_stderr_only(env, url) -> None:
    done = shell(env, url, ROOT_KEY, r"\user create carol", fmt="json")
    assert done.returncode == 0, done.stderr
    key = key_in(done.stderr)
    assert key not in done.stdout
    assert json.loads(done.stdout)["api_key"] == "shown once on stderr"
    me = httpx.get(f"{url}/v1/users/own-info", headers={"Authorization": f"Bearer {key}"})
    assert me.json()["username"] == "carol"
    assert key not in audit_text(env)
    users = json.loads(shell(env, url, ROOT_KEY, r"\users", fmt="json").stdout)
    carol = next(u for u in users if u["user"] == "carol")
    assert carol["type"] == "db_user" and carol["active"] is True and carol["key_prefix"] == key[:3]


def test_rotate_key_confirms_and_keeps_the_key_out_of_audit_and_history(env, url,
                                                                        tmp_path) -> None:
    old = key_in(shell(env, url, ROOT_KEY, r"\user create dan").stderr)
    clear_log(url)
    refused = shell(env, url, ROOT_KEY, r"\user rotate-key dan --dry-run",
                    r"\user rotate-key dan")
    assert refused.returncode == 4 and "stops working" in refused.stderr
    assert mutating(url) == []
    key_file = tmp_path / "dan.key"
    rotated = shell(env, url, ROOT_KEY, rf"\user rotate-key dan --force --key-file {key_file}")
    assert rotated.returncode == 0, rotated.stderr
    new = key_file.read_text().strip()
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert new not in rotated.stdout + rotated.stderr
    for key, status in ((old, 401), (new, 200)):
        answer = httpx.get(f"{url}/v1/users/own-info", headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == status
    shown = shell(env, url, ROOT_KEY, r"\user rotate-key dan --force")
    newest = key_in(shown.stderr)
    files = [p for p in Path(env["XDG_STATE_HOME"]).rglob("*") if p.is_file()]
    assert any(p.name == "audit.jsonl" for p in files)
    for path in files:
        assert new not in path.read_text(errors="replace"), path
        assert newest not in path.read_text(errors="replace"), path


def test_deactivate_activate_and_remove_a_user(env, url) -> None:
    key = key_in(shell(env, url, ROOT_KEY, r"\user create erin").stderr)
    auth = {"Authorization": f"Bearer {key}"}
    clear_log(url)
    assert shell(env, url, ROOT_KEY, r"\user deactivate erin --dry-run").returncode == 0
    assert mutating(url) == []
    twice = shell(env, url, ROOT_KEY, r"\user deactivate erin --force",
                  r"\user deactivate erin --force")
    assert "already deactivated" in twice.stderr
    assert httpx.get(f"{url}/v1/users/own-info", headers=auth).status_code == 401
    assert shell(env, url, ROOT_KEY, r"\user activate erin").returncode == 0
    assert httpx.get(f"{url}/v1/users/own-info", headers=auth).status_code == 200
    assert shell(env, url, ROOT_KEY, r"\user rm erin --force").returncode == 0
    assert as_root(url, "GET", "/v1/users/db/erin").status_code == 404


def test_an_admin_cannot_revoke_its_own_last_admin_role_without_force(env, url) -> None:
    created = shell(env, url, ROOT_KEY, r"\user create frank", r"\grant admin frank")
    clear_log(url)
    done = shell(env, url, key_in(created.stderr), r"\revoke admin frank")
    assert done.returncode == 4
    assert "own last admin role (admin)" in done.stderr
    assert mutating(url) == []


def test_groups_get_roles(env, url) -> None:
    assert shell(env, url, ROOT_KEY, r"\grant viewer --group /ops").returncode == 0
    groups = json.loads(shell(env, url, ROOT_KEY, r"\groups", fmt="json").stdout)
    assert {"group": "/ops", "roles": ["viewer"]} in groups
    assert shell(env, url, ROOT_KEY, r"\revoke viewer --group /ops --force").returncode == 0
    assert as_root(url, "GET", "/v1/authz/groups/oidc").json() == []


def test_grant_and_create_mistakes_get_hints(env, url) -> None:
    done = shell(env, url, ROOT_KEY, r"\grant viewer")
    assert done.returncode == 2 and r"name a USER or --group G" in done.stderr
    done = shell(env, url, ROOT_KEY, r"\grant viewer nobody")
    assert done.returncode == 1 and "hint: \\users lists the database users" in done.stderr
    done = shell(env, url, ROOT_KEY, r"\role create dup --permission read_cluster",
                 r"\role create dup --permission read_cluster")
    assert done.returncode == 1 and "role with name dup already exists" in done.stderr
    assert r"hint: \role add dup --permission ... adds to it" in done.stderr


def test_rbac_off_and_old_servers_are_named(env) -> None:
    with Sandbox() as server:
        address = server.url
        off = shell(env, address, "", r"\whoami", r"\role create r --permission read_cluster")
        assert off.returncode == 1
        assert "anonymous" in off.stdout
        assert "AUTHORIZATION_RBAC_ENABLED off" in off.stderr
        assert not [e for e in logged(address) if e["mutating"]]
        httpx.put(f"{address}/__sandbox/nodes/node1", json={"version": "1.28.4"})
        old = shell(env, address, "", r"\roles")
        assert "RBAC needs Weaviate >= 1.29; the server runs 1.28.4" in old.stderr
        users = shell(env, address, "", r"\users")
        assert "needs Weaviate >= 1.30" in users.stderr


def test_a_person_confirms_revoking_at_a_terminal(env, url) -> None:
    assert shell(env, url, ROOT_KEY, r"\role create typed --permission read_cluster",
                 r"\grant typed bob").returncode == 0
    child = pexpect.spawn(sys.executable, ["-m", "shell", "--url", url, "col", "revoke",
                                           "typed", "bob"],
                          env={**env, "WEAVIATE_API_KEY": ROOT_KEY, "PROMPT_TOOLKIT_NO_CPR": "1"},
                          cwd=str(ROOT), dimensions=(40, 160), timeout=60, encoding="utf-8")
    child.expect("bob loses the permissions of typed")
    child.expect("Type 'yes' to confirm:")
    child.sendline("yes")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert roles_of(url, "bob") == []
    as_root(url, "DELETE", "/v1/authz/roles/typed")


def test_newer_features_name_their_version_floor(env, url) -> None:
    httpx.put(f"{url}/__sandbox/nodes/node1", json={"version": "1.31.2"})
    try:
        clear_log(url)
        done = shell(env, url, ROOT_KEY, r"\groups")
        assert "OIDC groups needs Weaviate >= 1.33; the server runs 1.31.2" in done.stderr
        done = shell(env, url, ROOT_KEY, r"\role create al --permission create_aliases:A/B")
        assert "create_aliases needs Weaviate >= 1.32" in done.stderr
        assert not [e for e in logged(url) if "authz" in e["path"]]
    finally:
        httpx.put(f"{url}/__sandbox/nodes/node1", json={"version": None})


def test_in_the_shell_a_new_key_reaches_neither_history_nor_audit(env, url) -> None:
    child = pexpect.spawn(sys.executable, ["-m", "shell", "--url", url],
                          env={**env, "WEAVIATE_API_KEY": ROOT_KEY, "PROMPT_TOOLKIT_NO_CPR": "1",
                               "TERM": "xterm"},
                          cwd=str(ROOT), dimensions=(40, 400), timeout=60, encoding="utf-8")
    try:
        child.expect(r"127\.0\.0\.1:\d+> ")
        child.sendline(r"\user create gina")
        child.expect(r"not kept anywhere\): ([-A-Za-z0-9+/=_]+)")
        key = child.match[1]
        child.expect(r"127\.0\.0\.1:\d+> ")
        child.sendline(r"\q")
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)
    me = httpx.get(f"{url}/v1/users/own-info", headers={"Authorization": f"Bearer {key}"})
    assert me.json()["username"] == "gina"  # the key was read whole off the screen
    files = [p for p in Path(env["XDG_STATE_HOME"]).rglob("*") if p.is_file()]
    assert {p.parent.name for p in files} >= {"history", "elysiactl"}
    assert any(r"\user create gina" in p.read_text() for p in files if p.parent.name == "history")
    for path in files:
        assert key not in path.read_text(errors="replace"), path
