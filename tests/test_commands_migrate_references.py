"""``\\migrate`` of a class with references (OPERATIONS.md §3.1.5): a target without a class
the definition refers to is refused before anything is written, objects refused for missing
referenced objects get the same hint, and ``--as`` renames self-references (data type and
beacons) so the copy points at itself, on another cluster or on the same one."""

from __future__ import annotations

import httpx
import pytest
from migrate_support import clear_log, dispatcher, mutating
from test_commands_migrate import texts
from test_commands_restore_references import AUTHOR, BOOKS, make_books

from commands.results import Record
from sandbox import Sandbox


@pytest.fixture(scope="module")
def source():
    """Book (5 sequels, each written by Author Ann) and Author; only read by these tests."""
    with Sandbox() as server, httpx.Client(base_url=server.url) as http:
        make_books(http, author=True)
        yield server


def beacons(url: str, name: str, prop: str) -> dict[str, list]:
    found = httpx.get(f"{url}/v1/objects", params={"class": name, "limit": 100}).json()
    return {o["id"]: o["properties"].get(prop) for o in found["objects"]}


def test_a_missing_referenced_class_is_refused_before_anything_is_written(
        source, target, tmp_path) -> None:
    clear_log(target.url)
    outcome = dispatcher(source.url, tmp_path).execute(
        rf"\migrate Book --target {target.url}", "test")
    assert outcome.exit_code != 0
    assert str(outcome.error) == f"Book refers to Author, which {target.url} does not have"
    assert outcome.error.hint == f"migrate Author first (\\migrate Author --target {target.url})"
    assert mutating(target.url) == []


def test_objects_refused_for_missing_referenced_objects_get_the_hint(source, target,
                                                                     tmp_path) -> None:
    httpx.post(f"{target.url}/v1/schema", json={"class": "Author", "properties": [
        {"name": "name", "dataType": ["text"]}]}).raise_for_status()  # the class, no objects
    outcome = dispatcher(source.url, tmp_path).execute(
        rf"\migrate Book --target {target.url}", "test")
    assert outcome.exit_code == 1, outcome.error
    record = next(r for r in outcome.results if isinstance(r, Record))
    assert record.fields["failed"] == 5
    assert (f"5 of them refer to objects {target.url} does not have: Book refers to Author: "
            f"migrate Author first (\\migrate Author --target {target.url}), then run this "
            "\\migrate again") in texts(outcome)


def test_as_renames_self_references_on_another_cluster(source, target, tmp_path) -> None:
    shell = dispatcher(source.url, tmp_path)
    assert shell.execute(rf"\migrate Author --target {target.url}", "test").exit_code == 0
    outcome = shell.execute(rf"\migrate Book --target {target.url} --as Novel --verify full",
                            "test")
    assert outcome.exit_code == 0, outcome.error
    cls = httpx.get(f"{target.url}/v1/schema/Novel").json()
    types = {p["name"]: p["dataType"] for p in cls["properties"]}
    assert types["sequelOf"] == ["Novel"] and types["writtenBy"] == ["Author"]
    novels = beacons(target.url, "Novel", "sequelOf")
    assert novels[BOOKS[0]] == [{"beacon": f"weaviate://localhost/Novel/{BOOKS[1]}",
                                 "href": f"/v1/objects/Novel/{BOOKS[1]}"}]
    assert beacons(target.url, "Novel", "writtenBy")[BOOKS[0]][0]["beacon"] == \
        f"weaviate://localhost/Author/{AUTHOR}"


def test_as_on_the_same_cluster_points_the_copy_at_itself(tmp_path) -> None:
    with Sandbox() as server, httpx.Client(base_url=server.url) as http:
        make_books(http)
        outcome = dispatcher(server.url, tmp_path).execute(
            rf"\migrate Book --target {server.url} --as Novel --verify full", "test")
        assert outcome.exit_code == 0, outcome.error
        novels = beacons(server.url, "Novel", "sequelOf")
        assert all(value[0]["beacon"].startswith("weaviate://localhost/Novel/")
                   for value in novels.values() if value)
        assert len([v for v in novels.values() if v]) == 4
