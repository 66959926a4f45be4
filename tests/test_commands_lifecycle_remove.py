"""``\\rm``, ``\\clear`` and ``\\protected`` against the sandbox over HTTP.

The sandbox's request log proves the safety claims: dry runs, refused confirmations and
protected targets send no mutating request at all. Tests that delete get a fresh sandbox.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import httpx
import pytest
from conftest import make_session, mutating_requests

from commands.audit import MemoryAuditLog
from commands.context import CommandContext, Session
from commands.dispatch import Dispatcher
from commands.errors import ExitStatus, Refused, ShellError, UsageError
from commands.meta import lifecycle_remove
from commands.ops import lifecycle
from commands.parse import bind, tokenize
from commands.registry import Registry
from commands.results import Message, Table
from commands.safety import ELYSIA_PROTECTED, Plan
from sandbox import Sandbox
from sandbox.writes import prepare

REGISTRY = Registry.from_modules([lifecycle_remove])
DEMO = {"Article", "DocumentChunk", "ELYSIACTL_Audit", "Product", "SupportTicket"}


def call(session: Session, line: str, audit: MemoryAuditLog | None = None
         ) -> tuple[Any, CommandContext]:
    """Bind ``line`` and call its handler directly; the result and the context it got."""
    words = tokenize(line)
    spec = REGISTRY.find(words[0])
    inv = bind(spec, words[1:])
    ctx = CommandContext(session, inv.arguments, REGISTRY, audit)
    return spec.handler(ctx, **inv.arguments), ctx


def run(session: Session, line: str, audit: MemoryAuditLog | None = None) -> Any:
    return call(session, line, audit)[0]


class FakeConfirmer:
    """A person who types ``typed`` whatever is asked; records the words asked for."""

    interactive = True

    def __init__(self, typed: str) -> None:
        self.typed = typed
        self.asked: list[tuple[Plan, str]] = []

    def confirm(self, plan: Plan, word: str) -> bool:
        self.asked.append((plan, word))
        return self.typed == word


@pytest.fixture
def fresh(tmp_path) -> Iterator[Sandbox]:
    """A demo-seeded sandbox of this test's own (tests here delete things)."""
    with Sandbox(seed="demo", backup_dir=tmp_path / "backups") as server:
        yield server


@pytest.fixture
def web(fresh: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fresh.url, timeout=30) as http:
        http.delete("/__sandbox/requests")
        yield http


@pytest.fixture
def demo_http(demo: Sandbox) -> Iterator[httpx.Client]:
    """The shared (read-only) demo sandbox, with its request log cleared."""
    with httpx.Client(base_url=demo.url, timeout=30) as http:
        http.delete("/__sandbox/requests")
        yield http


def classes(http: httpx.Client) -> set[str]:
    return {c["class"] for c in http.get("/v1/schema").json()["classes"]}


def count(http: httpx.Client, name: str, tenant: str | None = None) -> int:
    target = f'{name}(tenant: "{tenant}")' if tenant else name
    body = http.post("/v1/graphql", json={
        "query": f"{{ Aggregate {{ {target} {{ meta {{ count }} }} }} }}"}).json()
    return body["data"]["Aggregate"][name][0]["meta"]["count"]


def fill(server: Sandbox, name: str, n: int, tenant: str | None = None) -> None:
    """Store ``n`` objects straight into the sandbox's database (fast, no HTTP)."""
    db = server.app.db
    with db.lock:
        for i in range(n):
            write = prepare(db, {"class": name, "id": str(uuid.uuid4()), "tenant": tenant,
                                 "properties": {"title": f"t{i}"}})
            write.col.put(write.tenant, write.obj)


def batch_deletes(http: httpx.Client) -> list[dict]:
    return [e for e in mutating_requests(http) if e["path"] == "/v1/batch/objects"]


# --- nothing is sent unless confirmed -------------------------------------------------------

@pytest.mark.parametrize("line", [
    r"\rm Article --dry-run",
    r"\rm Article Product --force --dry-run",
    r"\rm --filter * --dry-run --allow-protected",
    r"\rm ELYSIACTL_Audit --dry-run --allow-protected",
    r"\clear DocumentChunk --dry-run",
    r"\clear SupportTicket --tenant acme --dry-run --force",
    r"\clear ELYSIACTL_Audit --dry-run --allow-protected",
])
def test_dry_runs_send_no_mutating_request(demo_http: httpx.Client, line: str) -> None:
    session = make_session(str(demo_http.base_url))
    results, ctx = call(session, line)
    assert str(ctx.decision) == "dry-run"
    assert isinstance(results[0], Message) and results[0].text.startswith("dry run: would ")
    assert "nothing was sent" in results[0].text
    requests = results[-1]
    assert isinstance(requests, Table) and requests.rows
    assert all(method == "DELETE" for method, _ in requests.rows)
    assert mutating_requests(demo_http) == []
    assert classes(demo_http) == DEMO and count(demo_http, "DocumentChunk") == 20_000


def test_session_dry_run_overrides_force(demo_http: httpx.Client) -> None:
    session = make_session(str(demo_http.base_url))
    session.dry_run = True
    for line in (r"\rm Article --force", r"\clear Article --force"):
        results, ctx = call(session, line)
        assert str(ctx.decision) == "dry-run" and ctx.objects_affected is None
    assert mutating_requests(demo_http) == []


@pytest.mark.parametrize("line", [
    r"\rm Article", r"\rm Article Product", r"\rm --filter 'Art*'", r"\clear Article",
    r"\clear SupportTicket --tenant acme",
])
def test_non_interactive_without_force_is_refused(demo_http: httpx.Client, line: str) -> None:
    session = make_session(str(demo_http.base_url))
    assert session.confirmer is None
    with pytest.raises(Refused, match="non-interactive") as caught:
        run(session, line)
    assert caught.value.exit_status is ExitStatus.REFUSED and "--force" in caught.value.hint
    assert mutating_requests(demo_http) == []


@pytest.mark.parametrize("line", [r"\rm Article", r"\clear Article", r"\rm --filter '*'",
                                  r"\clear SupportTicket --tenant globex"])
@pytest.mark.parametrize("typed", ["no", "", "YES", "Article"])
def test_refused_interactive_confirmation_sends_nothing(demo_http: httpx.Client, line: str,
                                                        typed: str) -> None:
    session = make_session(str(demo_http.base_url))
    session.protected = ()
    session.confirmer = FakeConfirmer(typed)
    with pytest.raises(Refused, match="not confirmed"):
        run(session, line)
    assert [word for _, word in session.confirmer.asked] == ["yes"]
    assert mutating_requests(demo_http) == []


def test_typing_yes_proceeds_with_one_question_for_several(fresh: Sandbox,
                                                           web: httpx.Client) -> None:
    session = make_session(fresh.url)
    session.confirmer = FakeConfirmer("yes")
    results, ctx = call(session, r"\rm Article Product")
    [(plan, word)] = session.confirmer.asked
    assert word == "yes" and plan.targets == ("Article", "Product")
    assert plan.action == "delete 2 collections" and plan.objects == 370
    assert str(ctx.decision) == "confirmed" and ctx.objects_affected == 370
    assert [r.text for r in results] == ["deleted collection Article (250 objects)",
                                         "deleted collection Product (120 objects)"]
    assert classes(web) == DEMO - {"Article", "Product"}
    assert [(e["method"], e["path"]) for e in mutating_requests(web)] == [
        ("DELETE", "/v1/schema/Article"), ("DELETE", "/v1/schema/Product")]


def test_production_tier_asks_for_the_name(fresh: Sandbox, web: httpx.Client) -> None:
    session = make_session(fresh.url)
    session.connection.tier = "production"
    session.confirmer = FakeConfirmer("yes")
    with pytest.raises(Refused):
        run(session, r"\clear Article")
    assert session.confirmer.asked[-1][1] == "Article"
    assert mutating_requests(web) == []
    session.confirmer = FakeConfirmer("Article")
    results, ctx = call(session, r"\clear Article")
    assert ctx.objects_affected == 250 and count(web, "Article") == 0
    session.confirmer = FakeConfirmer("Product")
    run(session, r"\rm Product")
    assert session.confirmer.asked[-1][1] == "Product" and "Product" not in classes(web)


def test_protected_with_override_asks_for_the_name(fresh: Sandbox, web: httpx.Client) -> None:
    session = make_session(fresh.url)
    session.confirmer = FakeConfirmer("yes")
    with pytest.raises(Refused, match="not confirmed"):
        run(session, r"\rm ELYSIACTL_Audit --allow-protected --force")
    assert session.confirmer.asked[-1][1] == "ELYSIACTL_Audit"
    assert mutating_requests(web) == []
    session.confirmer = FakeConfirmer("ELYSIACTL_Audit")
    results, ctx = call(session, r"\clear ELYSIACTL_Audit --allow-protected")
    assert str(ctx.decision) == "confirmed" and count(web, "ELYSIACTL_Audit") == 0


# --- protected collections ------------------------------------------------------------------

@pytest.mark.parametrize("line", [
    r"\rm ELYSIACTL_Audit --force", r"\rm eLYSIACTL_Audit --force",
    r"\clear ELYSIACTL_Audit --force",
    r"\rm --filter * --force", r"\rm Article --filter 'elysiactl*' --force",
    r"\rm Article ELYSIACTL_Audit --force --dry-run",
])
def test_protected_collections_survive_without_override(demo_http: httpx.Client,
                                                        line: str) -> None:
    session = make_session(str(demo_http.base_url))
    session.confirmer = FakeConfirmer("yes")
    with pytest.raises(Refused, match="ELYSIACTL_Audit is protected") as caught:
        run(session, line)
    assert "--allow-protected" in caught.value.hint
    assert session.confirmer.asked == []
    assert mutating_requests(demo_http) == []
    assert classes(demo_http) == DEMO and count(demo_http, "ELYSIACTL_Audit") == 40


def test_system_suffix_and_configured_patterns_protect(fresh: Sandbox, web: httpx.Client) -> None:
    assert web.post("/v1/schema", json={"class": "Jobs_SYSTEM"}).status_code == 200
    web.delete("/__sandbox/requests")
    session = make_session(fresh.url)
    for line in (r"\rm Jobs_SYSTEM --force", r"\clear Jobs_SYSTEM --force",
                 r"\rm --filter 'jobs*' --force", r"\rm Article Jobs_SYSTEM --force"):
        with pytest.raises(Refused, match="Jobs_SYSTEM is protected"):
            run(session, line)
    session.protected = ("Art*",)
    with pytest.raises(Refused, match="Article is protected"):
        run(session, r"\rm --filter '*' --force")
    assert mutating_requests(web) == [] and "Jobs_SYSTEM" in classes(web)
    results, ctx = call(session, r"\rm Jobs_SYSTEM --force")  # no longer protected
    assert str(ctx.decision) == "forced" and "Jobs_SYSTEM" not in classes(web)


def test_override_with_force_removes_a_protected_collection(fresh: Sandbox,
                                                            web: httpx.Client) -> None:
    session = make_session(fresh.url)
    results, ctx = call(session, r"\rm ELYSIACTL_Audit --allow-protected --force")
    assert str(ctx.decision) == "forced" and ctx.objects_affected == 40
    assert classes(web) == DEMO - {"ELYSIACTL_Audit"}


def test_protected_lists_patterns_and_matches(demo_http: httpx.Client) -> None:
    session = make_session(str(demo_http.base_url))
    table = run(session, r"\protected")
    assert table.to_data() == [
        {"pattern": "ELYSIACTL_*", "collections": ["ELYSIACTL_Audit"]},
        {"pattern": "*_SYSTEM", "collections": []},
        {"pattern": ".internal*", "collections": []},
        *({"pattern": p, "collections": []} for p in ELYSIA_PROTECTED)]
    session.protected = ("*",)
    assert run(session, r"\protected").rows[0][1] == sorted(DEMO, key=str.lower)


# --- \rm: selection and what is at stake ----------------------------------------------------

def test_rm_unknown_name_deletes_nothing(demo_http: httpx.Client) -> None:
    session = make_session(str(demo_http.base_url))
    with pytest.raises(ShellError, match="no collection named 'Articel'") as caught:
        run(session, r"\rm Product Articel --force")
    assert caught.value.hint == "did you mean Article?"
    with pytest.raises(ShellError, match="alias of DocumentChunk"):
        run(session, r"\rm Docs --force")
    with pytest.raises(ShellError, match="no collection matches 'zz\\*'"):
        run(session, r"\rm --filter 'zz*' --force")
    with pytest.raises(UsageError):
        run(session, r"\rm --force")
    assert mutating_requests(demo_http) == []


def test_rm_fixes_the_first_letter_and_filters_case_insensitively(demo_http: httpx.Client
                                                                  ) -> None:
    session = make_session(str(demo_http.base_url))
    results = run(session, r"\rm article --filter 'PROD*' --dry-run")
    assert [r[0] for r in results[1].rows] == ["Article", "Product"]
    assert results[-1].rows == (("DELETE", "/v1/schema/Article"),
                                ("DELETE", "/v1/schema/Product"))
    assert results[2].text.startswith("total: 370 objects in 2 collections")


def test_blast_radius_of_demo_collections(demo_http: httpx.Client) -> None:
    session = make_session(str(demo_http.base_url))
    results = run(session, r"\rm DocumentChunk SupportTicket --dry-run")
    chunk, ticket = results[1].to_data()
    oldest = min(o["creationTimeUnix"] for o in lifecycle_objects(demo_http, "DocumentChunk"))
    stamp = lifecycle.oldest_object_time(session.api, "DocumentChunk")
    assert chunk["created"] == f"{stamp} (oldest object)"
    assert datetime.fromisoformat(stamp).timestamp() * 1000 == oldest
    assert chunk | {"created": None} == {
        "collection": "DocumentChunk", "objects": 20_000, "tenants": None, "replication": 1,
        "shards": 1, "nodes": ["node1"], "aliases": ["Docs"], "created": None}
    assert ticket["tenants"] == "4: 2 ACTIVE, 1 INACTIVE, 1 OFFLOADED"
    assert ticket["created"] == "unknown" and ticket["aliases"] == []
    assert ticket["shards"] == 2  # the active tenants' shards
    assert "approximate" in results[2].text


def lifecycle_objects(http: httpx.Client, name: str) -> Iterator[dict]:
    after = ""
    while True:
        page = http.get("/v1/objects", params={"class": name, "limit": 10_000,
                                               "after": after}).json()["objects"]
        yield from page
        if len(page) < 10_000:
            return
        after = page[-1]["id"]


def test_blast_radius_created_from_the_audit_log(demo_http: httpx.Client) -> None:
    session = make_session(str(demo_http.base_url))
    audit = MemoryAuditLog()
    url = str(demo_http.base_url)
    audit.record({"time": "2024-01-02T03:04:05.000Z", "command": "create", "status": "ok",
                  "arguments": {"name": "article"}, "cluster": url})
    audit.record({"time": "2024-02-01T00:00:00.000Z", "command": "create", "status": "ok",
                  "arguments": {"name": "Article"}, "confirmation": "dry-run"})
    audit.record({"time": "2024-03-01T00:00:00.000Z", "command": "create", "status": "error",
                  "arguments": {"name": "Article"}})
    audit.record({"time": "2024-04-01T00:00:00.000Z", "command": "create", "status": "ok",
                  "arguments": {"name": "Article"}, "cluster": "http://elsewhere:8080"})
    audit.record({"time": "2024-05-01T00:00:00.000Z", "command": "create", "status": "ok",
                  "arguments": {"name": "Product"}})
    audit.record({"time": "2024-06-01T00:00:00.000Z", "command": "rm", "status": "ok",
                  "arguments": {"names": ["Product"]}})
    rows = run(session, r"\rm Article Product --dry-run", audit)[1].to_data()
    assert rows[0]["created"] == "2024-01-02T03:04:05.000Z (audit log)"
    assert rows[1]["created"].endswith("(oldest object)")  # its creation was undone by \rm


def test_blast_radius_replicas_nodes_and_unknown_creation(sb: Sandbox, http: httpx.Client
                                                          ) -> None:
    assert http.post("/v1/schema", json={"class": "Rep", "replicationConfig": {"factor": 3},
                                         "shardingConfig": {"desiredCount": 2}}).is_success
    http.post("/v1/aliases", json={"alias": "RepA", "class": "Rep"})
    http.post("/v1/aliases", json={"alias": "RepB", "class": "Rep"})
    [found] = lifecycle.blast_radius(make_session(sb.url).api, ["Rep"])
    assert (found.objects, found.objects_exact, found.replication, found.shards) == (0, True, 3, 2)
    assert found.nodes == ("node1", "node2", "node3") and found.aliases == ("RepA", "RepB")
    assert (found.created, found.created_from) == (None, "unknown")


def test_rm_deletes_and_forgets_the_current_collection(fresh: Sandbox, web: httpx.Client
                                                       ) -> None:
    session = make_session(fresh.url)
    session.collection, session.tenant = "Article", None
    results, ctx = call(session, r"\rm article --force")
    assert results == [Message("deleted collection Article (250 objects)")]
    assert ctx.objects_affected == 250 and session.collection is None
    assert web.get("/v1/schema/Article").status_code == 404
    assert classes(web) == DEMO - {"Article"}


# --- \clear -------------------------------------------------------------------------------

def test_clear_empties_more_than_the_deletion_limit_and_keeps_the_class(
        sandbox: Sandbox, client: httpx.Client) -> None:
    client.post("/v1/schema", json={
        "class": "Big", "description": "large", "properties": [
            {"name": "title", "dataType": ["text"]}],
        "invertedIndexConfig": {"indexTimestamps": True}, "replicationConfig": {"factor": 1}})
    client.post("/v1/aliases", json={"alias": "BigAlias", "class": "Big"})
    fill(sandbox, "Big", 25_000)
    schema_before = client.get("/v1/schema/Big").content
    aliases_before = client.get("/v1/aliases").content
    client.delete("/__sandbox/requests")
    session = make_session(sandbox.url)
    calls: list[tuple[str, int | None]] = []
    advanced: list[int] = []

    @contextmanager
    def progress(description: str, total: int | None,
                 unit: str = "objects") -> Iterator[Callable[[int], None]]:
        calls.append((description, total))
        yield advanced.append

    session.progress = progress
    results, ctx = call(session, r"\clear Big --force")
    assert count(client, "Big") == 0 and ctx.objects_affected == 25_000
    assert results == [Message("deleted 25,000 objects from Big; the schema, tenants and "
                               "aliases are unchanged")]
    assert calls == [("clearing Big", 25_000)] and sum(advanced) == 25_000
    assert advanced == [10_000, 10_000, 5_000]
    assert client.get("/v1/schema/Big").content == schema_before
    assert client.get("/v1/aliases").content == aliases_before
    deletes = batch_deletes(client)
    assert len(deletes) == 4 == len(mutating_requests(client))  # 3 full calls, 1 finds none


def test_clear_one_tenant_leaves_the_rest_identical(fresh: Sandbox, web: httpx.Client) -> None:
    schema_before = web.get("/v1/schema/SupportTicket").content
    tenants_before = sorted(web.get("/v1/schema/SupportTicket/tenants").json(),
                            key=lambda t: t["name"])
    globex = count(web, "SupportTicket", "globex")
    acme = count(web, "SupportTicket", "acme")
    session = make_session(fresh.url)
    session.tenant = "globex"  # the session's tenant is not what \clear uses
    results, ctx = call(session, r"\clear SupportTicket --tenant acme --force")
    assert ctx.objects_affected == acme > 0
    assert count(web, "SupportTicket", "acme") == 0
    assert count(web, "SupportTicket", "globex") == globex
    assert web.get("/v1/schema/SupportTicket").content == schema_before
    assert sorted(web.get("/v1/schema/SupportTicket/tenants").json(),
                  key=lambda t: t["name"]) == tenants_before
    assert {e["query"].get("tenant") for e in batch_deletes(web)} == {"acme"}


@pytest.mark.parametrize("line, message", [
    (r"\clear SupportTicket --force", "2 not active: initech \\(INACTIVE\\), umbrella"),
    (r"\clear SupportTicket --tenant initech --force", "initech of SupportTicket is INACTIVE"),
    (r"\clear SupportTicket --tenant nobody --force", "has no tenant 'nobody'"),
    (r"\clear Article --tenant acme --force", "not multi-tenant"),
    (r"\clear Nope --force", "no collection named 'Nope'"),
])
def test_clear_refuses_what_it_cannot_do_before_sending(demo_http: httpx.Client, line: str,
                                                        message: str) -> None:
    with pytest.raises(ShellError, match=message):
        run(make_session(str(demo_http.base_url)), line)
    assert mutating_requests(demo_http) == []


def test_clear_every_tenant(sandbox: Sandbox, client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Mt", "multiTenancyConfig": {"enabled": True},
                                     "properties": [{"name": "title", "dataType": ["text"]}]})
    client.post("/v1/schema/Mt/tenants", json=[{"name": n} for n in ("a", "b", "c")])
    fill(sandbox, "Mt", 12_000, "a")
    fill(sandbox, "Mt", 30, "b")
    schema_before = client.get("/v1/schema/Mt").content
    tenants_before = sorted(client.get("/v1/schema/Mt/tenants").json(), key=lambda t: t["name"])
    client.delete("/__sandbox/requests")
    session = make_session(sandbox.url)
    dry = run(session, r"\clear Mt --dry-run")
    assert dry[1].to_data() == [{"tenant": "a", "objects": 12_000},
                                {"tenant": "b", "objects": 30}, {"tenant": "c", "objects": 0}]
    assert [p.split(" ", 1)[0] for _, p in dry[-1].rows] == [
        "/v1/batch/objects?tenant=a", "/v1/batch/objects?tenant=b", "/v1/batch/objects?tenant=c"]
    assert mutating_requests(client) == []
    results, ctx = call(session, r"\clear Mt --force")
    assert ctx.objects_affected == 12_030
    assert [count(client, "Mt", t) for t in "abc"] == [0, 0, 0]
    assert client.get("/v1/schema/Mt").content == schema_before
    assert sorted(client.get("/v1/schema/Mt/tenants").json(),
                  key=lambda t: t["name"]) == tenants_before


def test_clear_stops_with_the_reason_when_nothing_can_be_deleted(
        sandbox: Sandbox, client: httpx.Client) -> None:
    client.post("/v1/schema", json={"class": "Locked",
                                    "properties": [{"name": "title", "dataType": ["text"]}]})
    fill(sandbox, "Locked", 5)
    [shard] = client.get("/v1/schema/Locked/shards").json()
    client.put(f"/v1/schema/Locked/shards/{shard['name']}", json={"status": "READONLY"})
    session = make_session(sandbox.url)
    with pytest.raises(ShellError, match="stopped clearing Locked after 0 objects: 5 could not"):
        run(session, r"\clear Locked --force")
    assert count(client, "Locked") == 5


def test_clear_through_an_alias_and_the_current_collection(fresh: Sandbox, web: httpx.Client
                                                           ) -> None:
    session = make_session(fresh.url)
    results, ctx = call(session, r"\clear Docs --force")
    assert ctx.objects_affected == 20_000 and count(web, "DocumentChunk") == 0
    session.collection = "Product"
    results, ctx = call(session, r"\clear --force")
    assert ctx.objects_affected == 120 and count(web, "Product") == 0
    assert classes(web) == DEMO


# --- through the dispatcher: audit entries ----------------------------------------------------

def test_audit_records_the_decision_and_objects(fresh: Sandbox, web: httpx.Client) -> None:
    audit = MemoryAuditLog()
    dispatcher = Dispatcher(REGISTRY, make_session(fresh.url), audit)
    refused = dispatcher.execute(r"\rm Article", "argv")
    assert refused.exit_code == ExitStatus.REFUSED
    assert dispatcher.execute(r"\rm Article --dry-run", "argv").exit_code == 0
    assert dispatcher.execute(r"\clear Product --force", "argv").exit_code == 0
    assert dispatcher.execute(r"\rm Product --force", "argv").exit_code == 0
    entries = [(e["command"], e["confirmation"], e["status"], e["objects_affected"])
               for e in audit.entries()]
    assert entries == [("rm", "refused", "refused", None), ("rm", "dry-run", "ok", None),
                       ("clear", "forced", "ok", 120), ("rm", "forced", "ok", 0)]
    assert all(e["destructive"] for e in audit.entries())
    assert [e["path"] for e in mutating_requests(web)][-1] == "/v1/schema/Product"
