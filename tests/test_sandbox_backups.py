"""The sandbox's native backup API (filesystem backend) over real HTTP.

Every response is validated against the schema Weaviate's OpenAPI spec declares for
its operation and status, and additionally must not carry fields the definition
lacks. Data is compared bit for bit in the store before and after a round trip.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from openapi_schema import operation_for, require_spec, validate

from sandbox import Sandbox
from sandbox.store import Database

FS = "/v1/backups/filesystem"
FINAL = {"SUCCESS", "FAILED", "CANCELED"}
DEFINITIONS = {("POST", "/backups/{backend}"): "BackupCreateResponse",
               ("GET", "/backups/{backend}/{id}"): "BackupCreateStatusResponse",
               ("POST", "/backups/{backend}/{id}/restore"): "BackupRestoreResponse",
               ("GET", "/backups/{backend}/{id}/restore"): "BackupRestoreStatusResponse"}
TRICKY = [0.1, -0.0, 1e-45, 1.1e38, 1 / 3, -2.5e-39, 123456.789]


def check(response: httpx.Response) -> httpx.Response:
    """Validate a backup response against the spec, then reject fields its definition lacks."""
    template, _ = operation_for(response.request.method, response.request.url.path)
    if not template.startswith("/backups"):
        return response
    validate(response)
    spec = require_spec()
    if response.status_code == 200:
        body = response.json()
        name = DEFINITIONS.get((response.request.method, template))
        if name is None:  # the list: an array of items
            allowed = set(spec["definitions"]["BackupListResponse"]["items"]["properties"])
            assert all(set(item) <= allowed for item in body), body
        else:
            assert set(body) <= set(spec["definitions"][name]["properties"]), body
    elif response.content:
        body = response.json()
        assert set(body) in ({"error"}, {"code", "message"}), body
    return response


def message(response: httpx.Response) -> str:
    """The single handler-level error message of a response."""
    return check(response).json()["error"][0]["message"]


class Api:
    """An HTTP client whose backup responses are checked against the spec; ``raw`` is not."""

    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10,
                                 event_hooks={"response": [lambda r: (r.read(), check(r))]})
        self.raw = httpx.Client(base_url=url, timeout=10)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.http, name)

    def wait(self, path: str, timeout: float = 5) -> tuple[dict[str, Any], list[str]]:
        """Poll a status endpoint until a final status; the body and every status seen."""
        seen: list[str] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.http.get(path).json()
            seen.append(body["status"])
            if body["status"] in FINAL:
                return body, seen
            time.sleep(0.01)
        raise AssertionError(f"{path} never finished: {seen}")


@pytest.fixture
def api(sandbox: Sandbox) -> Iterator[Api]:
    require_spec()
    client = Api(sandbox.url)
    yield client
    client.http.close()
    client.raw.close()


def seed(api: Api) -> None:
    """Article (legacy vector, tricky floats, alias Posts) and Ticket (tenants, named vectors).

    Seeding skips spec validation: the spec's ``Vector`` is ``type: object`` while Weaviate
    sends named vectors as arrays, which the shared validator rejects.
    """
    assert api.raw.post("/v1/schema", json={"class": "Article", "properties": [
        {"name": "title", "dataType": ["text"]}, {"name": "views", "dataType": ["int"]}]}
    ).status_code == 200
    for i in range(3):
        assert api.raw.post("/v1/objects", json={
            "class": "Article", "properties": {"title": f"t{i}", "views": i},
            "vector": [v * (i + 1) for v in TRICKY]}).status_code == 200
    alias = api.raw.post("/v1/aliases", json={"alias": "Posts", "class": "Article"})
    assert alias.status_code == 200
    assert api.raw.post("/v1/schema", json={
        "class": "Ticket", "multiTenancyConfig": {"enabled": True},
        "properties": [{"name": "body", "dataType": ["text"]}],
        "vectorConfig": {"a": {"vectorizer": {"none": {}}, "vectorIndexType": "hnsw"},
                         "b": {"vectorizer": {"none": {}}, "vectorIndexType": "flat"}}}
    ).status_code == 200
    api.raw.post("/v1/schema/Ticket/tenants", json=[{"name": "t1"}, {"name": "t2"}])
    for tenant in ("t1", "t2"):
        assert api.raw.post("/v1/objects", json={
            "class": "Ticket", "tenant": tenant, "properties": {"body": tenant},
            "vectors": {"a": TRICKY[:3], "b": [0.5, 0.25]}}).status_code == 200
    api.raw.put("/v1/schema/Ticket/tenants", json=[{"name": "t2", "activityStatus": "INACTIVE"}])


def fingerprint(db: Database) -> dict[str, Any]:
    """Everything a restore must reproduce, with vectors as raw float32 bytes."""
    with db.lock:
        return {"aliases": dict(db.aliases), "classes": {name: {
            "config": json.dumps(col.config, sort_keys=True), "tenants": dict(col.tenants),
            "shards": list(col.shards), "dims": dict(col.dims),
            "objects": {(t, o.id): (o.properties, o.created, o.updated,
                                    None if o.vector is None else
                                    (o.vector.dtype.str, o.vector.tobytes()),
                                    {k: (v.dtype.str, v.tobytes())
                                     for k, v in (o.vectors or {}).items()})
                        for t, part in col.partitions.items() for o in part.values()}}
            for name, col in db.collections.items()}}


def test_backup_then_restore_reproduces_every_object_bit_for_bit(sandbox: Sandbox,
                                                                 api: Api) -> None:
    seed(api)
    before = fingerprint(sandbox.app.db)
    assert before["classes"]["Ticket"]["tenants"] == {"t1": "HOT", "t2": "COLD"}
    article, ticket = (before["classes"][c]["objects"].values() for c in ("Article", "Ticket"))
    assert all(o[3] is not None and not o[4] for o in article) and len(article) == 3
    assert all(o[3] is None and set(o[4]) == {"a", "b"} for o in ticket) and len(ticket) == 2
    created = api.post(FS, json={"id": "full-1"}).json()
    root = sandbox.app.backups.root
    assert created == {"backend": "filesystem", "classes": ["Article", "Ticket"],
                       "id": "full-1", "path": str(root / "full-1"), "status": "STARTED"}
    status, seen = api.wait(f"{FS}/full-1")
    assert seen[0] != "SUCCESS" and set(seen) <= {"STARTED", "TRANSFERRING", "SUCCESS"}
    assert status["status"] == "SUCCESS" and "error" not in status
    assert status["completedAt"] >= status["startedAt"] and 0 < status["size"] < 1e-3
    assert (root / "full-1" / "backup_config.json").is_file()
    assert (root / "full-1" / "node1" / "Ticket.json").is_file()

    assert api.delete("/v1/schema/Article").status_code == 200
    assert api.delete("/v1/schema/Ticket").status_code == 200
    assert fingerprint(sandbox.app.db)["classes"] == {}
    restore = api.post(f"{FS}/full-1/restore", json={})
    assert restore.json() == {"backend": "filesystem", "classes": ["Article", "Ticket"],
                              "id": "full-1", "path": str(root / "full-1"), "status": "STARTED"}
    status, seen = api.wait(f"{FS}/full-1/restore")
    assert status == {"backend": "filesystem", "id": "full-1", "path": str(root / "full-1"),
                      "status": "SUCCESS"}
    assert seen[0] != "SUCCESS"
    assert fingerprint(sandbox.app.db) == before
    listed = api.get("/v1/objects", params={"class": "Posts", "include": "vector"}).json()
    assert len(listed["objects"]) == 3


def test_restore_over_an_existing_class_starts_then_fails(sandbox: Sandbox, api: Api) -> None:
    # Weaviate has no up-front check: the schema apply fails later (its clients' own tests
    # expect BackupFailedException from polling, not a 422 from the POST).
    seed(api)
    api.post(FS, json={"id": "clash", "include": ["article"]})
    api.wait(f"{FS}/clash")
    assert api.post(f"{FS}/clash/restore", json={}).json()["status"] == "STARTED"
    status, _ = api.wait(f"{FS}/clash/restore")
    assert status["status"] == "FAILED"
    assert status["error"] == ('could not restore classes: ["Article": error when trying to '
                               "restore class: class name Article already exists]")


@pytest.mark.parametrize(("body", "status", "text"), [
    ({"id": ""}, 500, "base backup cannot be the same as the new backup ID: "),
    ({}, 500, "base backup cannot be the same as the new backup ID: "),
    ({"id": "My-Backup"}, 422,
     "invalid backup id: 'My-Backup' allowed characters are lowercase, 0-9, _, -"),
    ({"id": "x", "include": ["Article"], "exclude": ["Ticket"]}, 422,
     "malformed request: 'include' and 'exclude' cannot both contain values"),
    ({"id": "x", "include": ["Article", "article"]}, 422,
     "class list 'include' contains duplicate: Article"),
    ({"id": "x", "include": ["Nope"]}, 422, "class Nope doesn't exist"),
    ({"id": "x", "exclude": ["*"]}, 422, "empty class list: please choose from : [Article Ticket]"),
    ({"id": "x", "exclude": ["article", "tick*"]}, 422,
     "empty class list: please choose from : [Article Ticket]"),
    ({"id": "x", "includeUsers": ["u"]}, 422,
     "'includeUsers' was set but dynamic DB users are not enabled"),
])
def test_create_validation(api: Api, body: dict, status: int, text: str) -> None:
    seed(api)
    response = api.post(FS, json=body)
    assert response.status_code == status and message(response) == text


def test_create_selects_classes_with_case_fix_and_wildcards(sandbox: Sandbox, api: Api) -> None:
    seed(api)
    sandbox.app.backups.step_seconds = 0.01
    for n, body in enumerate([{"include": ["article"]}, {"include": ["Tick*"]},
                              {"exclude": ["A*"]}, {"include": ["Zz*"]}]):
        classes = api.post(FS, json={"id": f"sel-{n}", **body}).json()["classes"]
        api.wait(f"{FS}/sel-{n}")
        assert classes == [["Article"], ["Ticket"], ["Ticket"], ["Article", "Ticket"]][n]


def test_empty_database_has_nothing_to_back_up(api: Api) -> None:
    response = api.post(FS, json={"id": "x"})
    assert message(response) == "no available classes to backup, there's nothing to do here"


@pytest.mark.parametrize("backend", ["s3", "gcs", "azure", "foo"])
def test_other_backends_are_modules_that_are_not_enabled(api: Api, backend: str) -> None:
    tail = f'"{backend}": backup: {backend} not found, did you enable the right module?'
    base = f"/v1/backups/{backend}"
    for response in (api.post(base, json={"id": "x"}), api.get(base),
                     api.post(f"{base}/x/restore", json={})):
        assert response.status_code == 422 and message(response) == "no backup backend " + tail
    for response in (api.get(f"{base}/x"), api.delete(f"{base}/x"),
                     api.delete(f"{base}/x/restore")):
        assert response.status_code == 422 and message(response) == "no backup provider " + tail
    restore_status = api.get(f"{base}/x/restore")  # that operation maps no 422: a 500
    assert restore_status.status_code == 500 and message(restore_status).endswith(tail)


def test_alt_name_is_echoed_and_one_backup_at_a_time(sandbox: Sandbox, api: Api) -> None:
    seed(api)
    first = api.post("/v1/backups/backup-filesystem", json={"id": "one"}).json()
    assert first["backend"] == "backup-filesystem"
    busy = api.post(FS, json={"id": "two"})
    assert busy.status_code == 422 and message(busy) == "backup one already in progress"
    assert api.get("/v1/backups/backup-filesystem/one").json()["backend"] == "backup-filesystem"
    api.wait(f"{FS}/one")
    again = api.post(FS, json={"id": "one"})
    path = sandbox.app.backups.root / "one"
    assert again.status_code == 422 and message(again) == f'backup "one" already exists at "{path}"'


def test_cancel(sandbox: Sandbox, api: Api) -> None:
    seed(api)
    sandbox.app.backups.step_seconds = 5  # still running when the cancel arrives, however slow
    api.post(FS, json={"id": "stop-me"})
    assert api.delete(f"{FS}/stop-me").status_code == 204
    status = api.get(f"{FS}/stop-me").json()
    assert status["status"] == "CANCELED" and status["error"] == "operation cancelled by user"
    assert api.delete(f"{FS}/stop-me").status_code == 204
    assert api.delete(f"{FS}/never-ran").status_code == 204
    assert message(api.delete(f"{FS}/Bad-Id")).startswith("invalid backup id: 'Bad-Id'")
    sandbox.app.backups.step_seconds = 0.01
    assert api.post(FS, json={"id": "stop-me"}).status_code == 200  # a canceled id is reusable
    api.wait(f"{FS}/stop-me")
    done = api.delete(f"{FS}/stop-me")
    assert done.status_code == 422 and message(done) == 'backup "stop-me" already succeeded'


def test_list_order(sandbox: Sandbox, api: Api) -> None:
    seed(api)
    sandbox.app.backups.step_seconds = 0.01
    assert api.get(FS).json() == []
    for backup_id in ("older", "newer"):
        api.post(FS, json={"id": backup_id, "include": ["Ticket"]})
        api.wait(f"{FS}/{backup_id}")
    listed = api.get(FS).json()
    assert [b["id"] for b in listed] == ["newer", "older"]
    assert listed[0]["classes"] == ["Ticket"] and listed[0]["status"] == "SUCCESS"
    assert [b["id"] for b in api.get(FS, params={"order": "asc"}).json()] == ["older", "newer"]
    bad = api.get(FS, params={"order": "up"})
    assert bad.status_code == 422
    assert bad.json() == {"code": 606, "message": "order in query should be one of [asc desc]"}


def test_unknown_ids_are_not_found(sandbox: Sandbox, api: Api) -> None:
    seed(api)
    missing = api.get(f"{FS}/ghost")
    assert missing.status_code == 404 and "metadata not found" in message(missing)
    path = sandbox.app.backups.root / "ghost" / "backup_config.json"
    restore = api.post(f"{FS}/ghost/restore", json={})
    assert restore.status_code == 404 and message(restore) == (
        f'backup id "ghost" does not exist: get object path could not find {path}: stat '
        f"{path}: no such file or directory: metadata not found")
    api.post(FS, json={"id": "fresh"})
    api.wait(f"{FS}/fresh")
    never = api.get(f"{FS}/fresh/restore")
    assert never.status_code == 404 and "restore_config.json" in message(never)


def test_restore_validation_and_cancel(sandbox: Sandbox, api: Api) -> None:
    seed(api)
    sandbox.app.backups.step_seconds = 5  # still running when the restore arrives, however slow
    api.post(FS, json={"id": "running"})
    running = api.post(f"{FS}/running/restore", json={})
    assert message(running) == \
        f"invalid backup in scheduler {sandbox.app.backups.root / 'running'} status: STARTED"
    assert api.delete(f"{FS}/running").status_code == 204
    sandbox.app.backups.step_seconds = 0.01
    api.post(FS, json={"id": "r"})
    api.wait(f"{FS}/r")
    assert message(api.post(f"{FS}/r/restore", json={"include": ["Nope"]})) == \
        "class Nope doesn't exist in the backup, but does have [Article Ticket]: "
    assert message(api.post(f"{FS}/r/restore", json={"exclude": ["*"]})) == \
        "nothing left to restore: please choose from : [Article Ticket]"
    assert message(api.post(f"{FS}/r/restore", json={"include": ["A"], "exclude": ["B"]})) == \
        "malformed request: 'include' and 'exclude' cannot both contain values"
    api.delete("/v1/schema/Ticket")
    sandbox.app.backups.step_seconds = 5
    started = api.post(f"{FS}/r/restore", json={"include": ["ticket"]}).json()
    assert started["classes"] == ["Ticket"]
    assert api.delete(f"{FS}/r/restore").status_code == 204
    status = api.get(f"{FS}/r/restore").json()
    assert status["status"] == "CANCELED" and status["error"] == "restore canceled by user"
    assert sandbox.app.db.get("Ticket") is None
    sandbox.app.backups.step_seconds = 0.01
    api.post(f"{FS}/r/restore", json={"exclude": ["Article"], "node_mapping": {}})
    assert api.wait(f"{FS}/r/restore")[0]["status"] == "SUCCESS"
    assert message(api.delete(f"{FS}/r/restore")) == 'restore "r" already succeeded'


def test_dynamic_location_with_go_style_case_insensitive_keys(api: Api, tmp_path: Path) -> None:
    # weaviate-client sends {"config": {"path": ...}} and ?path=; Go matches "path" to Path.
    seed(api)
    elsewhere = tmp_path / "elsewhere"
    created = api.post(FS, json={"id": "moved", "include": ["Ticket"],
                                 "config": {"path": str(elsewhere)}}).json()
    assert created["path"] == str(elsewhere / "moved")
    assert api.wait(f"{FS}/moved?path={elsewhere}")[0]["status"] == "SUCCESS"
    assert (elsewhere / "moved" / "node1" / "Ticket.json").is_file()
    assert api.get(f"{FS}/moved").status_code == 404
    assert api.get(FS).json() == []  # the list only covers the module's own root
    api.delete("/v1/schema/Ticket")
    api.post(f"{FS}/moved/restore", json={"config": {"Path": str(elsewhere)}})
    assert api.wait(f"{FS}/moved/restore?path={elsewhere}")[0]["status"] == "SUCCESS"


def test_body_validation_is_the_frameworks(api: Api) -> None:
    too_hot = api.post(FS, json={"id": "x", "config": {"CPUPercentage": 90}})
    assert too_hot.json() == {"code": 608, "message": "config.CPUPercentage in body should be "
                                                      "less than or equal to 80"}
    level = api.post(FS, json={"id": "x", "config": {"CompressionLevel": "Fast"}})
    assert level.status_code == 422 and level.json()["code"] == 606
    typed = api.raw.post(FS, json={"id": 7})  # a framework 400: no operation declares it
    assert typed.status_code == 400 and set(typed.json()) == {"code", "message"}
    assert typed.json()["message"].endswith(
        "cannot unmarshal number into Go struct field BackupCreateRequest.id of type string")
    assert api.post(FS).json() == {"code": 602, "message": "body in body is required"}


def test_backups_survive_a_restart_and_unfinished_ones_become_canceled(tmp_path: Path) -> None:
    require_spec()
    with Sandbox(backup_dir=tmp_path) as first:
        api = Api(first.url)
        seed(api)
        before = fingerprint(first.app.db)
        api.post(FS, json={"id": "kept"})
        api.wait(f"{FS}/kept")
        first.app.backups.step_seconds = 5
        api.post(FS, json={"id": "cut-short"})
        stopped = time.monotonic()
    assert time.monotonic() - stopped < 1  # stop() did not wait for the worker's steps
    with Sandbox(backup_dir=tmp_path) as second:
        api = Api(second.url)
        assert {b["id"]: b["status"] for b in api.get(FS).json()} == {
            "kept": "SUCCESS", "cut-short": "CANCELED"}
        assert api.get(f"{FS}/cut-short").json()["error"] == "backup canceled due to node restart"
        api.post(f"{FS}/kept/restore", json={})
        assert api.wait(f"{FS}/kept/restore")[0]["status"] == "SUCCESS"
        after = fingerprint(second.app.db)
    for name in ("Article", "Ticket"):
        b, a = before["classes"][name], after["classes"][name]
        assert (a["objects"], a["tenants"], a["config"]) == (b["objects"], b["tenants"],
                                                             b["config"])


def test_filesystem_backend_refuses_a_cluster(tmp_path: Path) -> None:
    require_spec()
    with Sandbox(nodes=3, backup_dir=tmp_path) as cluster:
        api = Api(cluster.url)
        api.raw.post("/v1/schema", json={"class": "Article"})
        text = "local filesystem backend is not viable for backing up a node cluster, try s3 or gcs"
        assert message(api.post(FS, json={"id": "x"})) == text
        assert message(api.post(f"{FS}/x/restore", json={})) == text


def test_temporary_root_is_removed_on_stop() -> None:
    with Sandbox() as server:
        root = server.app.backups.root
        assert root.is_dir() and root.name.startswith("sandbox-backups-")
        meta = httpx.get(f"{server.url}/v1/meta").json()
        assert meta["modules"]["backup-filesystem"]["backupsPath"] == str(root)
    assert not root.exists()
