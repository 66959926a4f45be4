"""``\\restore`` of logical backups over real HTTP against the sandbox: everything comes back
(ids, properties, float32 vectors bit for bit, named vectors, tenants and their statuses),
the transformations, ``--skip-schema``, chains, and refusals that send nothing.

Backups are built with ``commands.ops.backup.format`` directly
(``test_commands_restore_support``), so these tests do not depend on ``\\backup``.
"""

from __future__ import annotations

import hashlib
import uuid
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import orjson
import pytest
from test_commands_restore_support import comparable, read_state, run, snapshot, tenants_of

from commands.errors import ShellError, UsageError
from commands.ops.backup.format import BackupError, Manifest, manifest_sha256
from commands.results import Message, Record
from sandbox import Sandbox
from tests.conftest import make_session

TRICKY = [0.1, -0.0, 1e-45, 1.1e38, 1 / 3, -2.5e-39, 123456.789, 7.0]


def ids(n: int, salt: str = "") -> list[str]:
    return [str(uuid.uuid5(uuid.NAMESPACE_URL, f"{salt}{i}")) for i in range(n)]


def make_article(http: httpx.Client, name: str = "Article", n: int = 95) -> None:
    http.post("/v1/schema", json={"class": name, "vectorizer": "none", "properties": [
        {"name": "title", "dataType": ["text"]}, {"name": "count", "dataType": ["int"]},
        {"name": "score", "dataType": ["number"]}, {"name": "tags", "dataType": ["text[]"]},
        {"name": "draft", "dataType": ["boolean"]}]}).raise_for_status()
    objects = [{"class": name, "id": oid,
                "properties": {"title": f"title {i}", "count": i, "score": i / 7,
                               "tags": ["a", f"t{i % 3}"], "draft": i % 2 == 0},
                "vector": [*TRICKY, i / 9]} for i, oid in enumerate(ids(n))]
    post_objects(http, objects)


def post_objects(http: httpx.Client, objects: list[dict[str, Any]]) -> None:
    for start in range(0, len(objects), 100):
        answer = http.post("/v1/batch/objects", json={"objects": objects[start:start + 100]})
        assert all(r["result"]["status"] == "SUCCESS" for r in answer.raise_for_status().json())


def make_tickets(http: httpx.Client) -> None:
    """A multi-tenant class: acme (30 objects), globex (12), initech (7), empty (0)."""
    http.post("/v1/schema", json={"class": "Ticket", "multiTenancyConfig": {"enabled": True},
                                  "properties": [{"name": "subject", "dataType": ["text"]}]}
              ).raise_for_status()
    http.post("/v1/schema/Ticket/tenants", json=[{"name": t} for t in
                                                 ("acme", "globex", "initech", "empty")])
    for tenant, n in (("acme", 30), ("globex", 12), ("initech", 7)):
        post_objects(http, [{"class": "Ticket", "tenant": tenant, "id": oid,
                             "properties": {"subject": f"{tenant} {i}"},
                             "vector": [float(i), 0.5, -1.25]}
                            for i, oid in enumerate(ids(n, tenant))])


@pytest.fixture
def session(sandbox: Sandbox):
    return make_session(sandbox.url)


def schema(http: httpx.Client, name: str) -> dict[str, Any]:
    return http.get(f"/v1/schema/{name}").raise_for_status().json()


def test_every_object_comes_back_bit_exact(client, session, tmp_path) -> None:
    make_article(client)
    before_schema = schema(client, "Article")
    _, state = snapshot(client, "Article", tmp_path, "b1", codec="zstd")
    client.delete("/v1/schema/Article").raise_for_status()
    out = run(session, f"\\restore {tmp_path / 'Article.json'}")
    record = next(r for r in out if isinstance(r, Record))
    assert record.fields["collection"] == "Article"
    assert record.fields["objects"] == 95 and record.fields["failed"] == 0
    assert record.fields["error_report"] is None and record.fields["tenants"] is None
    assert any(isinstance(m, Message) and "count checked" in m.text for m in out)
    after = read_state(client, "Article")
    assert comparable(after) == comparable(state)
    for key, line in state.items():  # float32 bit for bit
        assert np.array(after[key]["vector"], np.float32).tobytes() == \
            np.array(line["vector"], np.float32).tobytes()
    assert schema(client, "Article") == before_schema
    assert not list(tmp_path.glob("*.restore*"))  # checkpoint removed, no error report


def test_named_vectors_come_back(client, session, tmp_path) -> None:
    hnsw = {"vectorizer": {"none": {}}, "vectorIndexType": "hnsw"}
    client.post("/v1/schema", json={"class": "Product", "vectorConfig": {
        "image": hnsw, "text": hnsw}, "properties": [{"name": "name", "dataType": ["text"]}]}
                ).raise_for_status()
    post_objects(client, [{"class": "Product", "id": oid, "properties": {"name": f"p{i}"},
                           "vectors": {"image": [i / 3, 1e-40, 2.0],
                                       "text": [0.1 * i, 0.2, 0.3, 0.4]}}
                          for i, oid in enumerate(ids(23))])
    _, state = snapshot(client, "Product", tmp_path, "p1", codec="gzip", chunk=5)
    client.delete("/v1/schema/Product")
    run(session, f"\\restore {tmp_path / 'Product.json'} --batch-size 4 --parallel 3")
    after = read_state(client, "Product")
    assert comparable(after) == comparable(state)
    assert all(line["vectors"]["image"] and line["vectors"]["text"] for line in after.values())


def test_tenants_and_their_statuses_come_back(client, session, tmp_path) -> None:
    make_tickets(client)
    _, state = snapshot(client, "Ticket", tmp_path, "t1", chunk=8,
                        statuses={"initech": "INACTIVE"})
    client.delete("/v1/schema/Ticket")
    out = run(session, f"\\restore {tmp_path / 'Ticket.json'}")
    record = next(r for r in out if isinstance(r, Record))
    assert record.fields["tenants"] == ["acme", "empty", "globex", "initech"]
    assert record.fields["objects"] == 49
    assert tenants_of(client, "Ticket") == {"acme": "HOT", "globex": "HOT", "empty": "HOT",
                                            "initech": "COLD"}
    client.put("/v1/schema/Ticket/tenants", json=[{"name": "initech",
                                                   "activityStatus": "ACTIVE"}])
    assert comparable(read_state(client, "Ticket")) == comparable(state)


def test_as_rename_and_drop_property(client, session, tmp_path) -> None:
    make_article(client, n=30)
    _, state = snapshot(client, "Article", tmp_path, "b1")
    run(session, f"\\restore {tmp_path / 'Article.json'} --as articleCopy "
                 "--rename-property title=headline --rename-property Count=views "
                 "--drop-property score")
    copy = schema(client, "ArticleCopy")
    assert [p["name"] for p in copy["properties"]] == ["headline", "views", "tags", "draft"]
    after = read_state(client, "ArticleCopy")
    assert {k[1] for k in after} == {k[1] for k in state}
    for (tenant, oid), line in state.items():
        props = line["properties"]
        assert after[(tenant, oid)]["properties"] == {
            "headline": props["title"], "views": props["count"], "tags": props["tags"],
            "draft": props["draft"]}
        assert after[(tenant, oid)]["vector"] == line["vector"]
    assert len(read_state(client, "Article")) == 30  # the source is untouched


@pytest.mark.parametrize(("line", "message"), [
    ("--rename-property nope=x", "no property 'nope'"),
    ("--rename-property title", "expected OLD=NEW"),
    ("--drop-property nope", "no property 'nope'"),
    ("--rename-property title=count", "would exist twice"),
    ("--as 9lives", "not a valid collection name"),
    ("--tenant acme", "not multi-tenant"),
    ("--batch-size 0", "--batch-size"),
    ("--parallel 100", "--parallel"),
    ("--include Article", "--native"),
])
def test_bad_options_are_refused_before_anything_is_sent(client, session, tmp_path, line,
                                                         message) -> None:
    make_article(client, n=3)
    snapshot(client, "Article", tmp_path, "b1")
    client.delete("/v1/schema/Article")
    client.delete("/__sandbox/requests")
    with pytest.raises(UsageError, match=message):
        run(session, f"\\restore {tmp_path / 'Article.json'} {line}")
    assert not [e for e in client.get("/__sandbox/requests").json() if e["mutating"]]


def test_one_tenant(client, session, tmp_path) -> None:
    make_tickets(client)
    _, state = snapshot(client, "Ticket", tmp_path, "t1")
    out = run(session, f"\\restore {tmp_path / 'Ticket.json'} --as TicketAcme --tenant acme")
    assert next(r for r in out if isinstance(r, Record)).fields["tenants"] == ["acme"]
    assert tenants_of(client, "TicketAcme") == {"acme": "HOT"}
    after = read_state(client, "TicketAcme")
    assert comparable(after) == comparable({k: v for k, v in state.items() if k[0] == "acme"})
    with pytest.raises(UsageError, match="no tenant 'nobody'"):
        run(session, f"\\restore {tmp_path / 'Ticket.json'} --as T2 --tenant nobody")


def test_schema_update_workflow_skip_schema(client, session, tmp_path) -> None:
    """backup, rm, create with a new schema, restore --skip-schema: every object back."""
    make_article(client, "UserProfile", n=60)
    _, state = snapshot(client, "UserProfile", tmp_path / "backup", "u1")
    client.delete("/v1/schema/UserProfile")
    with pytest.raises(ShellError, match="does not exist") as refused:
        run(session, f"\\restore {tmp_path / 'backup/UserProfile.json'} --skip-schema")
    assert "\\create UserProfile --schema-file" in refused.value.hint
    new_schema = {"class": "UserProfile", "vectorizer": "none", "properties": [
        {"name": "title", "dataType": ["text"], "tokenization": "field"},
        {"name": "count", "dataType": ["int"]}, {"name": "score", "dataType": ["number"]},
        {"name": "tags", "dataType": ["text[]"]}, {"name": "draft", "dataType": ["boolean"]},
        {"name": "email", "dataType": ["text"]}]}
    client.post("/v1/schema", json=new_schema).raise_for_status()
    created = schema(client, "UserProfile")
    out = run(session, f"\\restore {tmp_path / 'backup/UserProfile.json'} --skip-schema")
    assert next(r for r in out if isinstance(r, Record)).fields["objects"] == 60
    assert comparable(read_state(client, "UserProfile")) == comparable(state)
    assert schema(client, "UserProfile") == created  # the new schema stays


def test_an_existing_collection_keeps_its_definition(client, session, tmp_path) -> None:
    make_article(client, n=3)
    path, state = snapshot(client, "Article", tmp_path, "b1")
    client.delete(f"/v1/objects/Article/{ids(3)[0]}")
    client.put("/v1/schema/Article", json={**schema(client, "Article"),
                                           "description": "now"}).raise_for_status()
    before = schema(client, "Article")
    out = run(session, f"\\restore {path} --force")
    assert out[0].text == ("Article exists: the objects are restored into it as it is defined "
                           "now (the backup's class is not applied)")
    assert comparable(read_state(client, "Article")) == comparable(state)
    assert schema(client, "Article") == before


def test_chain_restores_the_state_of_the_last_link(client, session, tmp_path) -> None:
    make_article(client, n=80)
    full = snapshot(client, "Article", tmp_path, "c1", chunk=15)
    all_ids = ids(80)
    client.post("/v1/batch/objects", json={"objects": [  # change 10, add 5
        {"class": "Article", "id": oid, "properties": {"title": f"changed {i}", "count": -i},
         "vector": [1.5] * 9} for i, oid in enumerate(all_ids[:10] + ids(5, "new"))]})
    for oid in all_ids[40:55]:
        client.delete(f"/v1/objects/Article/{oid}").raise_for_status()
    first = snapshot(client, "Article", tmp_path, "c2", base=full, chunk=7)
    for oid in all_ids[:3] + ids(5, "new")[:2]:  # delete changed and new ones
        client.delete(f"/v1/objects/Article/{oid}").raise_for_status()
    client.post("/v1/batch/objects", json={"objects": [  # bring back a deleted id, change one
        {"class": "Article", "id": oid, "properties": {"title": "again"}, "vector": [2.0] * 9}
        for oid in (all_ids[41], all_ids[70])]})
    path, final = snapshot(client, "Article", tmp_path, "c3", base=first, chunk=6)
    assert Manifest.load(path).deleted > 0
    out = run(session, f"\\restore {tmp_path / 'Article.json'} --as Restored")
    assert next(r for r in out if isinstance(r, Record)).fields["objects"] == len(final)
    assert comparable(read_state(client, "Restored")) == {
        (None, oid): v for (_, oid), v in comparable(final).items()}


def test_missing_or_foreign_links_are_refused(client, session, tmp_path) -> None:
    make_article(client, n=10)
    full = snapshot(client, "Article", tmp_path, "c1")
    client.delete(f"/v1/objects/Article/{ids(10)[0]}")
    path, _ = snapshot(client, "Article", tmp_path, "c2", base=full)
    client.delete("/__sandbox/requests")
    data = orjson.loads(path.read_bytes())
    (tmp_path / "Bad.json").write_bytes(orjson.dumps({**data, "version": 99}))
    with pytest.raises(BackupError, match=r"Bad\.json: backup format version 99"):
        run(session, f"\\restore {tmp_path / 'Bad.json'} --as X")
    full[0].unlink()
    with pytest.raises(BackupError, match=r"Article\.c1\.json: base backup c1 .* missing"):
        run(session, f"\\restore {path} --as X")
    other = Manifest.load(path)
    other.id, other.kind, other.base = "other", "full", None
    (tmp_path / "Article.c1.json").write_bytes(other.to_json())
    with pytest.raises(BackupError, match="is backup other, but the next link's base is c1"):
        run(session, f"\\restore {path} --as X")
    assert not [e for e in client.get("/__sandbox/requests").json() if e["mutating"]]


@pytest.mark.parametrize("which", ["c1", "c2"])
def test_corrupted_chunk_is_refused_and_nothing_is_sent(client, session, tmp_path,
                                                        which) -> None:
    make_article(client, n=50)
    full = snapshot(client, "Article", tmp_path, "c1", chunk=20)
    client.post("/v1/batch/objects", json={"objects": [
        {"class": "Article", "id": ids(1, "x")[0], "properties": {"title": "new"}}]})
    snapshot(client, "Article", tmp_path, "c2", base=full, chunk=20)
    chunk = sorted((tmp_path / f"Article.{which}.data").iterdir())[-1 if which == "c1" else 0]
    data = bytearray(chunk.read_bytes())
    data[len(data) // 2] ^= 0x01
    chunk.write_bytes(bytes(data))
    client.delete("/v1/schema/Article")
    client.delete("/__sandbox/requests")
    with pytest.raises(BackupError, match="checksum mismatch") as refused:
        run(session, f"\\restore {tmp_path / 'Article.json'}")
    assert str(chunk) in refused.value.message
    assert not [e for e in client.get("/__sandbox/requests").json() if e["mutating"]]
    assert client.get("/v1/schema/Article").status_code == 404


@pytest.mark.parametrize("edit", ["one count", "counts moved between chunks", "a tenant"])
def test_an_edited_or_corrupted_manifest_is_refused(client, session, tmp_path,
                                                    edit: str) -> None:
    make_article(client, n=20)
    path, _ = snapshot(client, "Article", tmp_path, "b1", chunk=10)
    data = orjson.loads(path.read_bytes())
    if edit == "a tenant":
        data["tenant"] = "acme"
    else:
        data["chunks"][0]["objects"] += 1
        if edit == "counts moved between chunks":  # totals unchanged
            data["chunks"][1]["objects"] -= 1
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2))
    client.delete("/v1/schema/Article")
    client.delete("/__sandbox/requests")
    with pytest.raises(BackupError, match="manifest is corrupted or was edited"):
        run(session, f"\\restore {path}")
    assert not [e for e in client.get("/__sandbox/requests").json() if e["mutating"]]


@pytest.mark.parametrize(("field", "message"), [
    ("lines", "holds 2 lines, the manifest says 3"),  # 10 objects in pages of 7
    ("objects", "counts do not match: field objects is 10, its objects chunks hold 11")])
def test_wrong_counts_are_refused(client, session, tmp_path, field, message) -> None:
    make_article(client, n=10)
    path, _ = snapshot(client, "Article", tmp_path, "b1")
    manifest = Manifest.load(path)  # changed and written with a matching checksum
    setattr(manifest.chunks[0], field, getattr(manifest.chunks[0], field) + 1)
    path.write_bytes(manifest.to_json())
    client.delete("/v1/schema/Article")
    client.delete("/__sandbox/requests")
    with pytest.raises(BackupError, match=message):
        run(session, f"\\restore {path}")
    assert not [e for e in client.get("/__sandbox/requests").json() if e["mutating"]]


@pytest.mark.parametrize(("where", "value", "message"), [
    (("objects",), 11, "counts do not match: field objects is 11, its objects chunks hold 10"),
    (("chunks", 0, "bytes"), "12", "field chunks[0].bytes must be a whole number, 0 or more, "
                                   "found '12'"),
    (("chunks", 1, "sha256"), None, "field chunks[1].sha256 must be 64 lowercase hex digits"),
    (("started",), "yesterday", "field started must be an ISO 8601 time with its zone"),
    (("tenants",), {"name": "t"}, "field tenants must be a list of objects"),
    (("kind",), "incremental", "field base must be set for an incremental backup")])
def test_verify_and_restore_refuse_a_re_signed_manifest_alike(client, session, tmp_path,
                                                              where, value, message) -> None:
    """A manifest changed and re-signed (its checksum matches): wrong counts, which verify
    refused and restore accepted, and wrong types, which ended in "internal error", are
    refused by both with the same line naming the file and the field; nothing is sent."""
    make_article(client, n=10)
    path, _ = snapshot(client, "Article", tmp_path, "b1")
    data = orjson.loads(path.read_bytes())
    parent = data
    for key in where[:-1]:
        parent = parent[key]
    parent[where[-1]] = value
    data.pop("sha256")
    path.write_bytes(orjson.dumps({**data, "sha256": manifest_sha256(data)}))
    client.delete("/__sandbox/requests")
    for line in (f"\\backup verify {path}", f"\\restore {path} --as Copy"):
        with pytest.raises(BackupError) as refused:
            run(session, line)
        assert refused.value.message.startswith(f"{path}: ")
        assert message in refused.value.message
    assert not [e for e in client.get("/__sandbox/requests").json() if e["mutating"]]


@pytest.mark.parametrize(("line", "message"), [
    (b"not json", "line 1 is not JSON"),
    (b'{"objects": [{"properties": {}}]}', "line 1 is not a page of objects with ids"),
    (b'{"objects": {"id": "x"}}', "line 1 is not a page of objects with ids")])
def test_a_bad_line_with_a_matching_checksum_is_a_clear_error(
        client, session, tmp_path, line: bytes, message: str) -> None:
    make_article(client, n=10)
    path, _ = snapshot(client, "Article", tmp_path, "b1")
    manifest = Manifest.load(path)
    chunk = next(c for c in manifest.chunks if c.kind == "objects")
    (tmp_path / chunk.file).write_bytes(line + b"\n")
    chunk.bytes, chunk.sha256 = len(line) + 1, hashlib.sha256(line + b"\n").hexdigest()
    chunk.lines = 1
    path.write_bytes(manifest.to_json())
    with pytest.raises(BackupError, match=message):
        run(session, f"\\backup verify {path}")
    with pytest.raises(BackupError, match=message):
        run(session, f"\\restore {path} --as Copy")


def test_a_chain_that_disagrees_with_its_index_is_refused(client, session, tmp_path) -> None:
    make_article(client, n=10)
    path, _ = snapshot(client, "Article", tmp_path, "b1")
    manifest = Manifest.load(path)
    manifest.chunks = [c for c in manifest.chunks if c.kind != "objects"]
    manifest.objects = 0
    path.write_bytes(manifest.to_json())
    with pytest.raises(BackupError, match="restores 0 objects, but the backup's index lists 10"):
        run(session, f"\\restore {path} --as X")


def test_directory_and_missing_file(session, tmp_path: Path) -> None:
    with pytest.raises(BackupError, match="is a directory"):
        run(session, f"\\restore {tmp_path}")
    with pytest.raises(BackupError, match="no backup at"):
        run(session, f"\\restore {tmp_path / 'Nope.json'}")


def test_a_replication_factor_the_cluster_cannot_hold(http, session, client, tmp_path) -> None:
    """Backed up on three nodes, restored onto one: refused with the way out."""
    http.post("/v1/schema", json={"class": "Replicated", "replicationConfig": {"factor": 3},
                                  "properties": [{"name": "title", "dataType": ["text"]}]}
              ).raise_for_status()
    post_objects(http, [{"class": "Replicated", "id": oid, "properties": {"title": "x"}}
                        for oid in ids(5)])
    path, _ = snapshot(http, "Replicated", tmp_path, "r1")
    with pytest.raises(ShellError, match="not enough storage replicas") as refused:
        run(session, f"\\restore {path}")
    assert "--replication N), then \\restore with --skip-schema" in refused.value.hint
    assert not list(tmp_path.glob("*.restore.json"))
    client.post("/v1/schema", json={**schema(http, "Replicated"), "replicationConfig": {
        "factor": 1}, "shardingConfig": {"desiredCount": 1}}).raise_for_status()
    run(session, f"\\restore {path} --skip-schema")
    assert len(read_state(client, "Replicated")) == 5


@pytest.mark.parametrize("codec", ["zstd", "gzip"])
def test_a_chunk_that_cannot_be_decompressed_is_refused_before_writing(
        client, session, tmp_path, codec: str) -> None:
    make_article(client, n=10)
    path, _ = snapshot(client, "Article", tmp_path, "b1", codec=codec)
    manifest = Manifest.load(path)
    chunk = manifest.chunks[0]
    garbage = b"not compressed at all"  # with a matching size and checksum
    (tmp_path / chunk.file).write_bytes(garbage)
    chunk.bytes, chunk.sha256 = len(garbage), hashlib.sha256(garbage).hexdigest()
    path.write_bytes(manifest.to_json())
    client.delete("/__sandbox/requests")
    for line in (f"\\backup verify {path}", f"\\restore {path} --as Copy"):
        with pytest.raises(BackupError, match=f"{chunk.file}: cannot be decoded"):
            run(session, line)
    assert not [e for e in client.get("/__sandbox/requests").json() if e["mutating"]]


@pytest.mark.parametrize(("file", "kind"), [("../outside.jsonl", "objects"),
                                            ("/etc/passwd", "objects"),
                                            ("Article.b1.data/000001.jsonl", "extra")])
def test_a_chunk_outside_the_backup_or_of_an_unknown_kind_is_refused(
        client, session, tmp_path, file: str, kind: str) -> None:
    make_article(client, n=10)
    path, _ = snapshot(client, "Article", tmp_path, "b1")
    manifest = Manifest.load(path)
    manifest.chunks[0].file, manifest.chunks[0].kind = file, kind
    path.write_bytes(manifest.to_json())
    client.delete("/__sandbox/requests")
    for line in (f"\\backup verify {path}", f"\\restore {path} --as Copy"):
        with pytest.raises(BackupError, match=r"malformed backup manifest: field chunks\[0\]"):
            run(session, line)
    assert not [e for e in client.get("/__sandbox/requests").json() if e["mutating"]]
