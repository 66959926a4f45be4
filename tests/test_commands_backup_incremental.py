"""Incremental ``\\backup``: only what changed since the base plus deletions, and a chain
(full + incrementals) that replays to exactly the collection at the time of its last link.
Each test changes its own demo sandbox."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import make_session
from test_commands_backup_support import lines, live, record, replay, run, same_object

from commands.context import Session
from commands.errors import ShellError
from commands.ops.backup import stream as backup_stream
from commands.ops.backup.format import Manifest
from sandbox import Sandbox


@pytest.fixture
def fresh(tmp_path: Path) -> Iterator[Sandbox]:
    with Sandbox(seed="demo", backup_dir=tmp_path / "native") as server:
        yield server


@pytest.fixture
def web(fresh: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=fresh.url, timeout=30) as http:
        yield http


@pytest.fixture
def me(fresh: Sandbox) -> Session:
    return make_session(fresh.url)


def change(web: httpx.Client, collection: str, ids: list[str], tenant: str | None = None,
           ) -> None:
    """PATCH a property of each object."""
    params = {"tenant": tenant} if tenant else {}
    for n, oid in enumerate(ids):
        body = {"class": collection, "properties": {"wordCount": 10_000 + n}
                if collection == "Article" else {"priority": 9}}
        if tenant:
            body["tenant"] = tenant
        web.patch(f"/v1/objects/{collection}/{oid}", json=body, params=params
                  ).raise_for_status()


def delete(web: httpx.Client, collection: str, ids: list[str], tenant: str | None = None
           ) -> None:
    params = {"tenant": tenant} if tenant else {}
    for oid in ids:
        web.delete(f"/v1/objects/{collection}/{oid}", params=params).raise_for_status()


def add(web: httpx.Client, collection: str, n: int, tenant: str | None = None) -> list[str]:
    """Create ``n`` objects (Article with a 32-dim vector); their ids."""
    ids = [str(uuid.uuid4()) for _ in range(n)]
    for oid in ids:
        body: dict = {"class": collection, "id": oid}
        if collection == "Article":
            body |= {"properties": {"title": f"new {oid[:8]}"}, "vector": [0.5] * 32}
        else:
            body |= {"properties": {"subject": "new", "priority": 1}, "tenant": tenant}
        web.post("/v1/objects", json=body).raise_for_status()
    return ids


def chain_equals_the_collection(chain: list[Path], url: str, collection: str,
                                tenants: list[str | None]) -> None:
    state = replay(chain)
    server = {(t, oid): obj for t in tenants for oid, obj in live(url, collection, t).items()}
    assert set(state) == set(server)
    assert all(same_object(line, server[key]) for key, line in state.items())


def test_incremental_holds_exactly_the_changes_and_deletions(
        me: Session, fresh: Sandbox, web: httpx.Client, tmp_path: Path) -> None:
    full = Path(record(run(me, rf"\backup Article --output {tmp_path}"))["path"])
    ids = sorted(live(fresh.url, "Article"))
    changed, deleted = ids[10:15], ids[100:103]
    change(web, "Article", changed)
    delete(web, "Article", deleted)
    added = add(web, "Article", 4)
    fields = record(run(me, rf"\backup Article --output {tmp_path} --incremental"))
    inc = Path(fields["path"])
    assert fields["kind"] == "incremental" and fields["base"] == Manifest.load(full).id
    assert fields["objects"] == 9 and fields["deleted"] == 3
    manifest = Manifest.load(inc)
    assert manifest.base == {"id": Manifest.load(full).id, "path": full.name}
    assert [line["id"] for line in lines(inc)] == sorted(changed + added)
    assert [line["id"] for line in lines(inc, "deleted")] == deleted
    assert [line["id"] for line in lines(inc, "index")] == sorted(live(fresh.url, "Article"))
    assert manifest.present == 250 - 3 + 4
    server = live(fresh.url, "Article")
    assert all(same_object(line, server[line["id"]]) for line in lines(inc))
    assert (tmp_path / "Article.json").read_bytes() == inc.read_bytes()
    chain_equals_the_collection([full, inc], fresh.url, "Article", [None])


def test_a_second_incremental_chains_onto_the_first(
        me: Session, fresh: Sandbox, web: httpx.Client, tmp_path: Path) -> None:
    full = Path(record(run(me, rf"\backup Article --output {tmp_path} --compress"))["path"])
    ids = sorted(live(fresh.url, "Article"))
    change(web, "Article", ids[:3])
    delete(web, "Article", ids[3:5])
    first = Path(record(run(me, rf"\backup Article --output {tmp_path} --compress "
                                "--incremental"))["path"])
    added = add(web, "Article", 2)
    change(web, "Article", [ids[0], added[0]])  # changed again, and new then changed
    delete(web, "Article", [ids[1], added[1], ids[200]])  # changed then deleted, added then
    second = record(run(me, rf"\backup Article --output {tmp_path} --compress --incremental"))
    assert second["base"] == Manifest.load(first).id
    path = Path(second["path"])
    assert [line["id"] for line in lines(path)] == sorted([ids[0], added[0]])
    assert [line["id"] for line in lines(path, "deleted")] == sorted([ids[1], ids[200]])
    chain_equals_the_collection([full, first, path], fresh.url, "Article", [None])
    # --base picks an older link: the changes since the full backup
    third = record(run(me, rf"\backup Article --output {tmp_path} --compress --incremental "
                           rf"--base {Manifest.load(full).id}"))
    assert third["base"] == Manifest.load(full).id
    chain_equals_the_collection([full, Path(third["path"])], fresh.url, "Article", [None])
    report = run(me, rf"\backup verify {path}")
    assert "the 2 backups it builds on" in report[0].text


def test_nothing_changed(me: Session, tmp_path: Path) -> None:
    run(me, rf"\backup Product --output {tmp_path}")
    fields = record(run(me, rf"\backup Product --output {tmp_path} --incremental"))
    assert fields["objects"] == fields["deleted"] == 0
    assert Manifest.load(Path(fields["path"])).present == 120


def test_multi_tenant_chain_with_tenants_changing_state(
        me: Session, fresh: Sandbox, web: httpx.Client, tmp_path: Path) -> None:
    full = Path(record(run(me, rf"\backup SupportTicket --output {tmp_path}"))["path"])
    acme = sorted(live(fresh.url, "SupportTicket", "acme"))
    change(web, "SupportTicket", acme[:2], "acme")
    delete(web, "SupportTicket", acme[2:4], "acme")
    web.put("/v1/schema/SupportTicket/tenants",
            json=[{"name": "initech", "activityStatus": "ACTIVE"}]).raise_for_status()
    first = record(run(me, rf"\backup SupportTicket --output {tmp_path} --incremental"))
    initech = live(fresh.url, "SupportTicket", "initech")
    path = Path(first["path"])
    mine = {(line["tenant"], line["id"]) for line in lines(path)}
    assert mine == {("acme", i) for i in acme[:2]} | {("initech", i) for i in initech}
    assert [(d["tenant"], d["id"]) for d in lines(path, "deleted")] == [
        ("acme", i) for i in acme[2:4]]
    chain_equals_the_collection([full, path], fresh.url, "SupportTicket",
                                ["acme", "globex", "initech"])
    # globex goes inactive: it cannot be read, so the base's entries are carried over
    globex = live(fresh.url, "SupportTicket", "globex")
    web.put("/v1/schema/SupportTicket/tenants",
            json=[{"name": "globex", "activityStatus": "INACTIVE"}]).raise_for_status()
    add(web, "SupportTicket", 3, "acme")
    results = run(me, rf"\backup SupportTicket --output {tmp_path} --incremental")
    second = Path(record(results)["path"])
    assert "carried over from the base" in results[0].text and "globex" in results[0].text
    assert {line["tenant"] for line in lines(second)} == {"acme"}
    assert {i["id"] for i in lines(second, "index") if i["tenant"] == "globex"} == set(globex)
    state = replay([full, path, second])
    assert {oid for t, oid in state if t == "globex"} == set(globex)
    web.put("/v1/schema/SupportTicket/tenants",
            json=[{"name": "globex", "activityStatus": "ACTIVE"}]).raise_for_status()
    chain_equals_the_collection([full, path, second], fresh.url, "SupportTicket",
                                ["acme", "globex", "initech"])


def test_a_removed_tenant_is_deleted_and_one_tenant_incrementals_carry_the_rest(
        me: Session, fresh: Sandbox, web: httpx.Client, tmp_path: Path) -> None:
    full = Path(record(run(me, rf"\backup SupportTicket --output {tmp_path}"))["path"])
    globex = sorted(live(fresh.url, "SupportTicket", "globex"))
    acme = sorted(live(fresh.url, "SupportTicket", "acme"))
    change(web, "SupportTicket", acme[:1], "acme")
    change(web, "SupportTicket", globex[:1], "globex")
    only = Path(record(run(me, rf"\backup SupportTicket --tenant acme --incremental "
                               rf"--output {tmp_path}"))["path"])
    assert [(line["tenant"], line["id"]) for line in lines(only)] == [("acme", acme[0])]
    assert {i["tenant"] for i in lines(only, "index")} == {"acme", "globex"}  # carried
    assert [t["name"] for t in Manifest.load(only).tenants] == ["acme", "globex"]
    web.request("DELETE", "/v1/schema/SupportTicket/tenants", json=["globex"]).raise_for_status()
    last = Path(record(run(me, rf"\backup SupportTicket --incremental "
                               rf"--output {tmp_path}"))["path"])
    assert [(d["tenant"], d["id"]) for d in lines(last, "deleted")] == [
        ("globex", i) for i in globex]
    assert {i["tenant"] for i in lines(last, "index")} == {"acme"}
    chain_equals_the_collection([full, only, last], fresh.url, "SupportTicket", ["acme"])


def test_many_deletions_are_chunked(me: Session, fresh: Sandbox, web: httpx.Client,
                                    tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(backup_stream, "CHUNK", 20)
    full = Path(record(run(me, rf"\backup Article --output {tmp_path}"))["path"])
    ids = sorted(live(fresh.url, "Article"))
    delete(web, "Article", ids[5:200])
    path = Path(record(run(me, rf"\backup Article --output {tmp_path} --incremental"))["path"])
    sizes = [c.objects for c in Manifest.load(path).chunks if c.kind == "deleted"]
    assert max(sizes) <= 20 and sum(sizes) == 195
    chain_equals_the_collection([full, path], fresh.url, "Article", [None])


def test_a_broken_base_is_refused(me: Session, tmp_path: Path) -> None:
    full = Path(record(run(me, rf"\backup Product --output {tmp_path}"))["path"])
    index = next(c for c in Manifest.load(full).chunks if c.kind == "index")
    (tmp_path / index.file).write_bytes(b"garbage")
    with pytest.raises(ShellError, match="checksum"):
        run(me, rf"\backup Product --output {tmp_path} --incremental")
