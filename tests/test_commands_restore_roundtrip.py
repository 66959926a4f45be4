"""``\\backup`` then ``\\restore``: the seed's schema-update workflow with its literal
commands, the demo's collections (legacy and named vectors, tenants in every state),
compressed backups, incremental chains, and a restore killed with SIGKILL and run again.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from test_commands_restore import ids, make_article, make_tickets, post_objects, schema
from test_commands_restore_support import comparable, read_state, run, tenants_of

from commands.errors import ShellError
from commands.ops.backup.format import BackupError, Manifest
from commands.results import Message, Record
from sandbox import Sandbox
from tests.conftest import make_session

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def session(sandbox: Sandbox):
    return make_session(sandbox.url)


@pytest.fixture(scope="module")
def demo_url():
    with Sandbox(seed="demo") as server:
        yield server.url


def test_schema_update_workflow(client, session, tmp_path, monkeypatch) -> None:
    """col backup, col rm, col create --schema-file, col restore --skip-schema."""
    make_article(client, "UserProfile", n=120)
    before = read_state(client, "UserProfile")
    monkeypatch.chdir(tmp_path)
    new_schema = {**schema(client, "UserProfile")}
    new_schema["properties"] = [*new_schema["properties"],
                                {"name": "email", "dataType": ["text"]}]
    Path("new-schema.json").write_text(json.dumps(new_schema))
    run(session, "\\backup UserProfile --output ./backup")
    run(session, "\\rm UserProfile --force")
    run(session, "\\create UserProfile --schema-file ./new-schema.json")
    out = run(session, "\\restore ./backup/UserProfile.json --skip-schema")
    assert next(r for r in out if isinstance(r, Record)).fields["objects"] == 120
    assert comparable(read_state(client, "UserProfile")) == comparable(before)
    assert "email" in [p["name"] for p in schema(client, "UserProfile")["properties"]]
    assert sorted(p.name for p in Path("backup").iterdir() if "restore" in p.name) == []


@pytest.mark.parametrize(("name", "codec"), [("Article", "zstd"), ("Product", "gzip"),
                                             ("SupportTicket", "none")])
def test_demo_collections_round_trip(demo_url, tmp_path, name, codec) -> None:
    session = make_session(demo_url)
    http = httpx.Client(base_url=demo_url, timeout=30)
    active = [t for t, s in tenants_of(http, name).items() if s == "HOT"] \
        if name == "SupportTicket" else None
    before, definition = read_state(http, name, active), schema(http, name)
    run(session, f"\\backup {name} --output {tmp_path} --compress={codec}")
    out = run(session, f"\\restore {tmp_path / name}.json --as {name}Copy")
    copy = read_state(http, f"{name}Copy", active)
    assert {(t, oid): v for (t, oid), v in comparable(copy).items()} == comparable(before)
    assert {**schema(http, f"{name}Copy"), "class": name} == definition
    if name == "SupportTicket":  # initech was INACTIVE (not read), umbrella OFFLOADED
        assert tenants_of(http, "SupportTicketCopy") == {
            "acme": "HOT", "globex": "HOT", "initech": "COLD", "umbrella": "HOT"}
        warnings = [m.text for m in out if isinstance(m, Message) and m.level == "warning"]
        assert any("initech (INACTIVE)" in w for w in warnings)
        assert any(w.startswith("tenant umbrella stays ACTIVE: its recorded status "
                                "OFFLOADED was refused") for w in warnings)
    http.delete(f"/v1/schema/{name}Copy")


def test_incremental_chain_round_trip(client, session, tmp_path) -> None:
    make_article(client, n=150)
    make_tickets(client)
    run(session, f"\\backup Article --output {tmp_path} --id 20260101T000000Z")
    run(session, f"\\backup Ticket --output {tmp_path} --id 20260101T000000Z")
    all_ids = ids(150)
    post_objects(client, [{"class": "Article", "id": oid, "properties": {"title": "changed"},
                           "vector": [0.5] * 9} for oid in all_ids[:20] + ids(7, "n")])
    for oid in all_ids[100:130]:
        client.delete(f"/v1/objects/Article/{oid}").raise_for_status()
    post_objects(client, [{"class": "Ticket", "tenant": "globex", "id": oid,
                           "properties": {"subject": "later"}, "vector": [1.0, 2.0, 3.0]}
                          for oid in ids(4, "later")])
    client.delete(f"/v1/objects/Ticket/{ids(30, 'acme')[0]}", params={"tenant": "acme"})
    run(session, f"\\backup Article --output {tmp_path} --incremental --id 20260102T000000Z")
    run(session, f"\\backup Ticket --output {tmp_path} --incremental --id 20260102T000000Z")
    for oid in all_ids[:5] + ids(7, "n")[:3]:
        client.delete(f"/v1/objects/Article/{oid}").raise_for_status()
    post_objects(client, [{"class": "Article", "id": all_ids[101], "properties": {
        "title": "back again"}, "vector": [2.0] * 9}])
    client.request("DELETE", "/v1/schema/Ticket/tenants", json=["initech"]).raise_for_status()
    client.put("/v1/schema/Ticket/tenants", json=[{"name": "empty",
                                                   "activityStatus": "INACTIVE"}])
    run(session, f"\\backup Article --output {tmp_path} --incremental --compress")
    run(session, f"\\backup Ticket --output {tmp_path} --incremental --compress")
    assert Manifest.load(tmp_path / "Article.json").base["id"] == "20260102T000000Z"
    run(session, f"\\restore {tmp_path / 'Article.json'} --as ArticleBack")
    assert comparable(read_state(client, "ArticleBack")) == comparable(
        read_state(client, "Article"))
    run(session, f"\\restore {tmp_path / 'Ticket.json'} --as TicketBack --parallel 2")
    assert tenants_of(client, "TicketBack") == tenants_of(client, "Ticket") == {
        "acme": "HOT", "globex": "HOT", "empty": "COLD"}
    assert comparable(read_state(client, "TicketBack", ["acme", "globex"])) == comparable(
        read_state(client, "Ticket", ["acme", "globex"]))


def test_a_damaged_link_of_a_real_chain_is_refused(client, session, tmp_path) -> None:
    make_article(client, n=30)
    run(session, f"\\backup Article --output {tmp_path} --id 20260101T000000Z")
    client.delete(f"/v1/objects/Article/{ids(30)[3]}")
    run(session, f"\\backup Article --output {tmp_path} --incremental")
    base = Manifest.load(tmp_path / "Article.20260101T000000Z.json")
    victim = tmp_path / base.chunks[0].file
    victim.write_bytes(victim.read_bytes()[:-3] + b"xx\n")
    client.delete("/__sandbox/requests")
    with pytest.raises(BackupError, match="checksum mismatch") as refused:
        run(session, f"\\restore {tmp_path / 'Article.json'} --as Copy")
    assert str(victim) in refused.value.message
    assert not [e for e in client.get("/__sandbox/requests").json() if e["mutating"]]


SCRIPT = """
import sys
from commands.context import CommandContext, Connection, Session
from commands.api.client import RestClient
from commands.meta import restore
from commands.parse import bind, tokenize
url, line = sys.argv[1], sys.argv[2]
session = Session(connection=Connection(api=RestClient(url), url=url))
inv = bind(restore.restore_cmd.spec, tokenize(line)[1:])
restore.restore_cmd(CommandContext(session, inv.arguments), **inv.arguments)
"""


def restore_process(url: str, line: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", SCRIPT, url, line], cwd=ROOT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


# One random kill point (test_backup_reliability kills the same restore at another).
@pytest.mark.parametrize("seed", [11])
def test_restore_killed_with_sigkill_and_run_again(tmp_path, seed) -> None:
    with Sandbox(seed="demo") as server:
        session, http = make_session(server.url), httpx.Client(base_url=server.url, timeout=60)
        original = read_state(http, "DocumentChunk")
        run(session, f"\\backup DocumentChunk --output {tmp_path}")
        http.delete("/v1/schema/DocumentChunk")
        line = f"\\restore {tmp_path / 'DocumentChunk.json'} --batch-size 300 --force"
        proc = restore_process(server.url, line)
        time.sleep(random.Random(seed).uniform(0.3, 1.0))
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(timeout=60) == -signal.SIGKILL  # it was still running
        again = restore_process(server.url, line)
        _, err = again.communicate(timeout=300)
        assert again.returncode == 0, err
        assert comparable(read_state(http, "DocumentChunk")) == comparable(original)
        assert not list(tmp_path.glob("*.restore.json"))


def test_restore_of_a_schema_only_backup(client, session, tmp_path) -> None:
    make_tickets(client)
    run(session, f"\\backup Ticket --output {tmp_path} --schema-only")
    out = run(session, f"\\restore {tmp_path / 'Ticket.json'} --as Empty")
    assert next(r for r in out if isinstance(r, Record)).fields["objects"] == 0
    assert sorted(tenants_of(client, "Empty")) == ["acme", "empty", "globex", "initech"]
    with pytest.raises(ShellError):
        run(session, f"\\restore {tmp_path / 'Ticket.json'} --as Empty --skip-schema "
                     "--tenant nobody")
