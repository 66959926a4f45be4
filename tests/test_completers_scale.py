"""Completion that does not grow with the cluster: at most ``limit`` names per slot, then
"… N more"; names starting with the query before those with a later word that does; no
request while completing; a cache that keeps only names and types, decoded in chunks; and
refreshes that replace the cache instead of adding to it."""

from __future__ import annotations

import gc
import json
import mmap
import sys
import time
import weakref
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pexpect
import pytest
from test_completers_meta import apply, complete, texts
from test_shell_repl import ROOT

from commands.api.client import RestClient
from commands.errors import ShellError
from commands.meta import MODULES
from commands.registry import Registry
from completers.compact import SchemaReader, compact
from completers.meta import MetaCommandCompleter
from completers.metadata import MetadataCache, MetadataSnapshot
from completers.refresher import MetadataRefresher
from sandbox import Sandbox

REGISTRY = Registry.from_modules(MODULES)
TEAMS = 150
TENANTS = 120
DESCRIPTION = "kept out of the completion cache"


def make(snapshot: MetadataSnapshot, **options: Any) -> MetaCommandCompleter:
    return MetaCommandCompleter(REGISTRY, MetadataCache(snapshot), **options)


def team(i: int) -> dict[str, Any]:
    return {"class": f"Team{i:03d}Docs", "description": DESCRIPTION,
            "properties": [{"name": "title", "dataType": ["text"], "description": DESCRIPTION},
                           {"name": "body", "dataType": ["text"], "tokenization": "field"},
                           {"name": "source", "dataType": ["object"], "nestedProperties": [
                               {"name": "nestedUrl", "dataType": ["text"]}]}]}


@pytest.fixture(scope="module")
def cluster() -> Iterator[Sandbox]:
    with Sandbox(seed="none") as server, httpx.Client(base_url=server.url) as http:
        for i in range(TEAMS):
            http.post("/v1/schema", json=team(i)).raise_for_status()
        http.post("/v1/schema", json={"class": "Ticket", "multiTenancyConfig": {
            "enabled": True}}).raise_for_status()
        http.post("/v1/schema/Ticket/tenants", json=[
            {"name": f"customer-{i:04d}"} for i in range(TENANTS)]).raise_for_status()
        yield server


def refreshed(url: str, cache: MetadataCache | None = None) -> MetadataCache:
    cache = cache or MetadataCache()
    refresher = MetadataRefresher(cache, lambda: RestClient(url, retries=0))
    refresher.refresh()
    assert refresher.wait(20)
    return cache


# --- bounded candidates ---------------------------------------------------------------------

def test_a_slot_offers_at_most_the_limit_then_says_how_many_more() -> None:
    snapshot = MetadataSnapshot.from_schema([{"class": f"Name{i:04d}"} for i in range(1000)])
    found = complete(make(snapshot), "\\show ")
    assert [c.text for c in found[:2]] == ["Name0000", "Name0001"] and len(found) == 101
    more = found[-1]
    assert more.display_text == "… 900 more" and more.display_meta_text == "type more to narrow"
    assert apply("\\show ", more) == "\\show Name0"  # what every name shares
    assert texts(make(snapshot, limit=3), "\\show name01")[:3] == [
        "Name0100", "Name0101", "Name0102"]
    assert complete(make(snapshot, limit=3), "\\show name01")[-1].display_text == "… 97 more"
    assert [c.text for c in complete(make(snapshot), "\\show name099")] == [
        f"Name099{i}" for i in range(10)]  # no "more" entry when everything fits


def test_the_more_entry_extends_what_was_typed_by_what_every_match_shares() -> None:
    snapshot = MetadataSnapshot.from_schema([team(i) for i in range(TEAMS)])
    found = complete(make(snapshot, limit=5), "\\show te")
    assert found[-1].display_text == "… 145 more"
    assert apply("\\show te", found[-1]) == "\\show Team"
    assert apply("\\show Team1", complete(make(snapshot, limit=5), "\\show Team1")[-1]) \
        == "\\show Team1"  # Team100Docs..Team149Docs share nothing more


def test_names_starting_with_the_query_come_before_those_with_a_later_word_that_does() -> None:
    names = ["ArticleProduct", "OrderProductLine", "ProductReview", "Products", "Review",
             "Tenant00042Docs", "order_items"]
    snapshot = MetadataSnapshot.from_schema([{"class": n} for n in names])
    assert texts(make(snapshot), "\\show prod") == [
        "ProductReview", "Products", "ArticleProduct", "OrderProductLine"]
    assert texts(make(snapshot), "\\show rev") == ["Review", "ProductReview"]
    assert texts(make(snapshot), "\\show docs") == ["Tenant00042Docs"]
    assert texts(make(snapshot), "\\show 00042") == ["Tenant00042Docs"]
    assert texts(make(snapshot), "\\show items") == ["order_items"]
    assert texts(make(snapshot), "\\show duct") == []  # words, not any substring
    found = complete(make(snapshot, limit=2), "\\show prod")
    assert found[-1].display_text == "… 2 more"
    assert apply("\\show prod", found[-1]) == "\\show prod"  # no shared start to insert


def test_properties_tenants_and_admin_names_are_bounded_too() -> None:
    wide = {"class": "Wide", "properties": [{"name": f"field{i:03d}", "dataType": ["int"]}
                                            for i in range(130)]}
    snapshot = (MetadataSnapshot.from_schema([wide, {"class": "Ticket"}])
                .with_tenants("Ticket", {f"customer-{i:04d}": "HOT" for i in range(250)})
                .with_admin_names({}, [f"node{i}" for i in range(120)], [], []))
    properties = complete(make(snapshot), "\\objects Wide --properties ")
    assert properties[0].text == "field000" and properties[0].display_meta_text == "int"
    assert properties[-1].display_text == "… 30 more"
    dotted = complete(make(snapshot), "\\objects --properties Wide.field0")
    assert len(dotted) == 100 and dotted[-1].text == "field099"  # all of them: no "more"
    tenants = complete(make(snapshot), "\\objects Ticket --tenant cust")
    assert tenants[0].display_meta_text == "HOT" and tenants[-1].display_text == "… 150 more"
    assert texts(make(snapshot), "\\objects Ticket --tenant 0249") == ["customer-0249"]
    nodes = complete(make(snapshot), "\\replications --node ")
    assert len(nodes) == 101 and nodes[-1].display_text == "… 20 more"


# --- against the sandbox --------------------------------------------------------------------

def test_no_request_while_completing(cluster: Sandbox) -> None:
    cache = refreshed(cluster.url)
    refresher = MetadataRefresher(cache, lambda: RestClient(cluster.url, retries=0))
    assert refresher.load_tenants("Ticket").wait(10)
    httpx.delete(f"{cluster.url}/__sandbox/requests")
    completer = MetaCommandCompleter(REGISTRY, cache, refresher=refresher)
    lines = ["\\show ", "\\show T", "\\show team01", "\\objects Team007Docs --properties ",
             "\\objects --properties Team010Docs.t", "\\objects Ticket --tenant cust",
             "\\objects Ticket --tenant ", "\\replications --node ", "\\show docs"]
    offered = [len(complete(completer, line)) for line in lines * 20]
    assert min(offered) > 0
    assert httpx.get(f"{cluster.url}/__sandbox/requests").json() == []


def test_the_cache_keeps_only_names_and_types(cluster: Sandbox) -> None:
    snapshot = refreshed(cluster.url).snapshot
    assert len(snapshot.collections) == TEAMS + 1 and snapshot.multi_tenant == {"Ticket"}
    assert dict(snapshot.properties["Team042Docs"]) == {
        "title": "text", "body": "text", "source": "object"}
    assert snapshot.properties.count("Team042Docs") == 3
    reachable = _reachable(snapshot)
    kept = [o.encode() if isinstance(o, str) else bytes(o) for o in reachable
            if isinstance(o, str | bytes | mmap.mmap)]
    assert any(b"title\nbody\nsource" in k for k in kept)  # the property names, joined
    assert not [k for k in kept if any(word in k for word in (
        DESCRIPTION.encode(), b"nestedUrl", b"hnsw", b"field"))]  # nothing else
    assert not [o for o in reachable if isinstance(o, dict) and "class" in o]  # no class dicts
    kinds = {type(o).__name__ for o in reachable}
    assert kinds <= {"str", "bytes", "tuple", "dict", "list", "frozenset", "array", "mmap",
                     "NameIndex", "PropertyTable", "mappingproxy", "float", "NoneType",
                     "MetadataSnapshot"}, kinds


def _reachable(root: object) -> list[object]:
    seen: dict[int, object] = {}
    todo = [root]
    while todo:
        obj = todo.pop()
        if id(obj) in seen or isinstance(obj, type):
            continue
        seen[id(obj)] = obj
        todo.extend(gc.get_referents(obj))
    return list(seen.values())


def test_refreshes_replace_the_snapshot(cluster: Sandbox) -> None:
    cache = refreshed(cluster.url)
    first = weakref.ref(cache.snapshot)
    httpx.post(f"{cluster.url}/v1/schema", json={"class": "Temporary"}).raise_for_status()
    refreshed(cluster.url, cache)
    gc.collect()
    assert first() is None and "Temporary" in cache.snapshot.collections
    httpx.delete(f"{cluster.url}/v1/schema/Temporary").raise_for_status()
    refreshed(cluster.url, cache)
    assert "Temporary" not in cache.snapshot.collections and cache.loaded
    assert len(cache.snapshot.collections) == TEAMS + 1


def test_an_unreadable_schema_is_an_error_and_the_old_names_stay() -> None:
    answer = httpx.MockTransport(lambda request: httpx.Response(
        200, content=b'{"classes":[{"class":"Half"'))
    cache = MetadataCache(MetadataSnapshot.from_schema([{"class": "Kept"}], fetched_at=1.0))
    refresher = MetadataRefresher(cache, lambda: RestClient("http://broken.test", retries=0,
                                                            transport=answer))
    refresher.refresh()
    assert refresher.wait(10)
    assert cache.state.startswith("error: GET /v1/schema answered unreadable JSON")
    assert cache.snapshot.collections == ("Kept",)


def test_a_refused_schema_read_in_chunks_still_says_why() -> None:
    answer = httpx.MockTransport(lambda request: httpx.Response(403, json={"error": [
        {"message": "forbidden: user 'bob' has no permission to read_collections"}]}))
    cache = MetadataCache()
    refresher = MetadataRefresher(cache, lambda: RestClient("http://refusing.test", retries=0,
                                                            transport=answer))
    refresher.refresh()
    assert refresher.wait(10)
    assert cache.state == ("error: forbidden: user 'bob' has no permission to "
                           "read_collections")


# --- decoding in chunks ---------------------------------------------------------------------

TRICKY = {"class": "Tricky", "moduleConfig": {"custom": {"list": [
    {"a": 1}, {"class": "NotAClass", "properties": []}]}},  # },{"class": inside a class
    "properties": [{"name": "ok", "dataType": ["Team001Docs", "Team002Docs"]}]}


@pytest.mark.parametrize("chunk", [1, 7, 100, 4096, 10**9])
def test_the_schema_decodes_the_same_in_any_chunks(cluster: Sandbox, chunk: int) -> None:
    classes = httpx.get(f"{cluster.url}/v1/schema").json()["classes"]
    classes.insert(3, TRICKY)
    body = orjson.dumps({"classes": classes})
    assert b'},{"class":"NotAClass"' in body
    reader = SchemaReader()
    for start in range(0, len(body), chunk):
        reader.feed(body[start:start + chunk])
    decoded, expected = reader.finish(), compact(classes)
    assert decoded.collections == expected.collections and "Tricky" in decoded.collections
    assert "NotAClass" not in decoded.collections
    assert decoded.multi_tenant == {"Ticket"}
    assert {c: dict(p) for c, p in decoded.properties.items()} == \
        {c: dict(p) for c, p in expected.properties.items()}
    assert dict(decoded.properties["Tricky"]) == {"ok": "Team001Docs|Team002Docs"}


@pytest.mark.parametrize("body", [
    json.dumps({"classes": [TRICKY, {"class": "Plain"}]}, indent=2).encode(),  # decoded whole
    b'{"classes":null}', b"{}", b'{"classes":[]}',
    b'{"name":"x","classes":[{"class":"Plain"}]}'])
def test_other_shapes_of_the_body(body: bytes) -> None:
    reader = SchemaReader()
    reader.feed(body)
    names = reader.finish().collections
    assert names in ((), ("Plain",), ("Plain", "Tricky"))


def test_malformed_json_is_a_shell_error() -> None:
    reader = SchemaReader()
    reader.feed(b'{"classes":[{"class":"A"},{"class":')
    with pytest.raises(ShellError, match="unreadable JSON"):
        reader.finish()


# --- through the REPL -----------------------------------------------------------------------

def _refreshed_in_background(url: str) -> None:
    """Wait until the shell's refresh on connect asked for its last list (the roles)."""
    for _ in range(100):
        if any(e["path"] == "/v1/authz/roles" for e in httpx.get(f"{url}/__sandbox/requests")
               .json()):
            time.sleep(0.5)  # decoding the answers and swapping the snapshot
            return
        time.sleep(0.1)
    raise AssertionError("the shell did not refresh its schema cache")


def test_pty_menu_ends_with_how_many_more(cluster: Sandbox, tmp_path: Any) -> None:
    httpx.delete(f"{cluster.url}/__sandbox/requests")
    env = {"XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PROMPT_TOOLKIT_NO_CPR": "1", "PYTHONPATH": str(ROOT), "TERM": "xterm",
           "PATH": "/usr/bin:/bin"}
    child = pexpect.spawn(sys.executable, ["-m", "shell", "--url", cluster.url], cwd=str(ROOT),
                          env=env, dimensions=(40, 160), timeout=20, encoding="utf-8")
    try:
        child.expect(r"127\.0\.0\.1:\d+> ")
        _refreshed_in_background(cluster.url)
        child.send("\\show ")
        child.expect("Team000Docs")
        child.send("\x1b[Z")  # Shift-Tab: the last entry of the menu
        child.expect(r"… \d+ more")
        child.sendcontrol("c")
        child.sendline("\\q")
        child.expect(pexpect.EOF)
    finally:
        child.terminate(force=True)


def test_without_a_growable_memory_map_a_bytearray_holds_the_lists(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "platform", "darwin")
    classes = [team(i) for i in range(3)] + [TRICKY]
    reader = SchemaReader()
    reader.feed(orjson.dumps({"classes": classes}))
    decoded = reader.finish()
    assert dict(decoded.properties["Tricky"]) == {"ok": "Team001Docs|Team002Docs"}
    assert decoded.properties.names("Team002Docs") == ["title", "body", "source"]
