"""A sandbox without auto-schema (``AUTOSCHEMA_ENABLED=false``): unknown classes and
properties are refused, on every write path (§7.5, §8.1)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from sandbox import Sandbox
from sandbox.__main__ import build_parser

NO_SUCH_PROP = ("no such prop with name 'extra' found in class 'Doc' in the schema. Check your "
                "schema files for which properties in this class are available")


@pytest.fixture
def strict(tmp_path: Path) -> Iterator[httpx.Client]:
    with Sandbox(auto_schema=False, backup_dir=tmp_path) as server, \
            httpx.Client(base_url=server.url, timeout=10) as http:
        http.post("/v1/schema", json={"class": "Doc", "properties": [
            {"name": "n", "dataType": ["int"]}]})
        yield http


def message(response: httpx.Response) -> str:
    return response.json()["error"][0]["message"]


def test_single_objects_are_refused_without_touching_the_schema(strict: httpx.Client) -> None:
    before = strict.get("/v1/schema").json()
    unknown_class = strict.post("/v1/objects", json={"class": "nope"})
    assert unknown_class.status_code == 422
    assert message(unknown_class) == 'invalid object: class "Nope" not found in schema'
    unknown_prop = strict.post("/v1/objects", json={"class": "Doc", "properties": {"extra": 1}})
    assert message(unknown_prop) == f"invalid object: {NO_SUCH_PROP}"
    oid = strict.post("/v1/objects", json={"class": "Doc", "properties": {"n": 1}}).json()["id"]
    replaced = strict.put(f"/v1/objects/Doc/{oid}", json={"class": "Doc", "id": oid,
                                                         "properties": {"extra": 1}})
    assert replaced.status_code == 422 and message(replaced) == f"invalid object: {NO_SUCH_PROP}"
    patched = strict.patch(f"/v1/objects/Doc/{oid}", json={"properties": {"extra": 1}})
    assert message(patched) == f"msg:bad request code:400 err:{NO_SUCH_PROP}"
    assert strict.get("/v1/schema").json() == before


def test_batch_items_are_refused_one_by_one(strict: httpx.Client) -> None:
    results = strict.post("/v1/batch/objects", json={"objects": [
        {"class": "nope", "id": str(uuid.uuid4())}, {"class": "Doc", "properties": {"extra": 1}},
        {"class": "Doc", "properties": {"n": 2}}]}).json()
    errors = [r["result"].get("errors", {}).get("error", [{}])[0].get("message") for r in results]
    assert errors == ["class 'Nope' not present in schema", NO_SUCH_PROP, None]
    assert [c["class"] for c in strict.get("/v1/schema").json()["classes"]] == ["Doc"]


def test_the_setting_survives_a_reset(strict: httpx.Client) -> None:
    strict.post("/__sandbox/reset", json={"seed": "demo"})
    assert strict.post("/v1/objects", json={"class": "Article", "properties": {
        "extra": 1}}).status_code == 422


def test_cli_flag() -> None:
    assert build_parser().parse_args(["--no-auto-schema"]).auto_schema is False
    assert build_parser().parse_args([]).auto_schema is True
