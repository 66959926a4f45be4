"""The rescans of ``\\migrate`` (catch-up, final reconciliation, references): big pages
without vectors, picks fetched with vectors over their own span only, the merge-join of
both clusters' ids across page boundaries, and a server whose QUERY_MAXIMUM_RESULTS is
below the page size."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import msgspec
import pytest
from migrate_support import clear_log, dispatcher, state

import sandbox.objects
from commands.api.client import RestClient
from commands.ops import cursor
from commands.ops.cursor import Stamp
from commands.ops.migrate.catchup import Reconcile
from commands.ops.migrate.copy import Pick, rescan, spans
from sandbox import Sandbox

NAME = "Scan"


def ids(count: int, salt: int = 0) -> list[str]:
    return sorted(str(uuid.UUID(int=(i * 7919 + salt) << 90 | i)) for i in range(count))


def put(url: str, oids: list[str], label: str = "same") -> None:
    objects = [{"class": NAME, "id": oid, "properties": {"title": label},
                "vector": [float(i % 5), 1.0, 0.5]} for i, oid in enumerate(oids)]
    httpx.post(f"{url}/v1/batch/objects", json={"objects": objects}).raise_for_status()


def make_class(url: str) -> None:
    httpx.post(f"{url}/v1/schema", json={"class": NAME, "properties": [
        {"name": "title", "dataType": ["text"]}]}).raise_for_status()


@pytest.fixture
def servers():
    with Sandbox() as source, Sandbox() as target:
        make_class(source.url)
        make_class(target.url)
        yield source, target


def listings(url: str) -> list[dict[str, Any]]:
    return [e["query"] for e in httpx.get(f"{url}/__sandbox/requests").json()
            if e["path"] == "/v1/objects" and e["method"] == "GET"]


class These(Pick):
    def __init__(self, wanted: set[str]) -> None:
        self.wanted = wanted

    def choose(self, page: list[Stamp]) -> list[str]:
        return [obj.id for obj in page if obj.id in self.wanted]


def test_spans_start_at_the_first_pick_and_hold_at_most_a_page(monkeypatch) -> None:
    import commands.ops.migrate.copy as copy

    monkeypatch.setattr(copy, "PAGE", 4)
    page = [f"{i:02d}" for i in range(12)]
    assert list(spans(page, ["03", "05"], "xx")) == [("02", ["03", "05"], 3)]
    assert list(spans(page, ["00"], "xx")) == [("xx", ["00"], 1)]
    assert list(spans(page, ["01", "04", "05", "11"], None)) == [
        ("00", ["01", "04"], 4), ("04", ["05"], 1), ("10", ["11"], 1)]


def test_a_rescan_reads_ids_in_big_pages_and_fetches_only_the_picked_span(servers) -> None:
    source, _ = servers
    oids = ids(30)
    put(source.url, oids)
    clear_log(source.url)
    found = list(rescan(RestClient(source.url), NAME, None, These({oids[10], oids[12]})))
    assert [obj.id for obj in found] == [oids[10], oids[12]]
    assert all(msgspec.json.decode(obj.vector) == [float(i % 5), 1.0, 0.5]
               for obj, i in zip(found, (10, 12), strict=True))
    scan, fetch = listings(source.url)
    assert scan["limit"] == str(cursor.ID_PAGE) and "include" not in scan
    assert (fetch["include"], fetch["after"], fetch["limit"]) == ("vector", oids[9], "3")


def test_the_merge_join_across_page_boundaries(servers, monkeypatch) -> None:
    source, target = servers
    monkeypatch.setattr(cursor, "ID_PAGE", 7)
    mine, extra = ids(40), ids(12, salt=3)
    put(source.url, mine)
    put(target.url, mine[5:35:2] + extra)  # every other one, and ids the source lacks
    merge = Reconcile(RestClient(target.url), NAME, None, since=1 << 62)
    picked = [obj.id for obj in rescan(RestClient(source.url), NAME, None, merge)]
    merge.finish()
    assert picked == [oid for oid in mine if oid not in set(mine[5:35:2])]
    assert merge.deleted == len(extra)
    assert sorted(state(target.url, NAME)) == mine[5:35:2]


def test_a_lower_query_maximum_on_the_server_gives_pages_of_a_thousand(
        servers, tmp_path, monkeypatch) -> None:
    source, target = servers
    # QUERY_MAXIMUM_RESULTS between the two page sizes
    monkeypatch.setattr(sandbox.objects, "MAX_RESULTS", (cursor.PAGE + cursor.ID_PAGE) // 2)
    put(source.url, ids(50))
    clear_log(source.url)
    outcome = dispatcher(source.url, tmp_path).execute(
        rf"\migrate {NAME} --target {target.url} --verify full", "test")
    assert outcome.exit_code == 0, outcome.error
    monkeypatch.undo()  # the comparison reads in pages of its own
    assert state(target.url, NAME) == state(source.url, NAME)
    refused = [e for e in httpx.get(f"{source.url}/__sandbox/requests").json()
               if e["status"] == 422]
    assert refused and all(e["query"]["limit"] == str(cursor.ID_PAGE) for e in refused)
    assert {q["limit"] for q in listings(source.url) if "include" not in q} == \
        {str(cursor.ID_PAGE), "1000"}
