"""``\\undo`` and ``\\restore --rollback``, driven through the dispatcher against the sandbox
over HTTP: safety backups before ``\\rm``, ``\\clear`` and a restore over existing data, what
the previews say, and the cluster brought back to the same objects (ids, properties,
vectors)."""

from __future__ import annotations

import hashlib
import random
import stat
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest

from commands.dispatch import Dispatcher
from commands.errors import ConfigError
from commands.results import Message, Outcome, Table
from sandbox import Sandbox
from sandbox.writes import prepare
from shell.config import load_settings
from tests.migrate_support import dispatcher, mutating, state
from tests.test_commands_restore_support import progress_factory

NAME = "Note"


@pytest.fixture
def web(sandbox: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sandbox.url, timeout=30) as http:
        yield http


def make_notes(server: Sandbox, n: int, name: str = NAME, seed: int = 1) -> None:
    """A collection of ``n`` objects with properties and 8-dim vectors, stored straight into
    the sandbox's database (fast, no HTTP)."""
    httpx.post(f"{server.url}/v1/schema", json={
        "class": name, "vectorizer": "none", "properties": [
            {"name": "title", "dataType": ["text"]}, {"name": "rank", "dataType": ["int"]}],
    }).raise_for_status()
    add_notes(server, n, name, seed)


def add_notes(server: Sandbox, n: int, name: str = NAME, seed: int = 1) -> list[str]:
    rng = random.Random(seed)
    db, ids = server.app.db, []
    with db.lock:
        for i in range(n):
            oid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            write = prepare(db, {"class": name, "id": oid, "properties": {
                "title": f"note {seed}-{i}", "rank": i},
                "vector": [rng.random() for _ in range(8)]})
            write.col.put(write.tenant, write.obj)
            ids.append(oid)
    return ids


def digest(url: str, name: str = NAME) -> str:
    """One hash of every object's id, properties and vector."""
    return hashlib.sha256(orjson.dumps(state(url, name), option=orjson.OPT_SORT_KEYS)).hexdigest()


def ok(shell: Dispatcher, line: str) -> Outcome:
    outcome = shell.execute(line, "test")
    assert outcome.exit_code == 0, (line, outcome.error)
    return outcome


def texts(outcome: Outcome) -> str:
    return "\n".join(r.text for r in outcome.results if isinstance(r, Message))


def test_undo_after_rm_of_10000_objects_brings_every_object_back(sandbox: Sandbox,
                                                                 tmp_path: Path) -> None:
    make_notes(sandbox, 10_000)
    before = digest(sandbox.url)
    shell = dispatcher(sandbox.url, tmp_path)
    removed = ok(shell, rf"\rm {NAME} --force")
    assert "safety backup of Note (10,000 objects)" in texts(removed)
    assert httpx.get(f"{sandbox.url}/v1/schema/{NAME}").status_code == 404
    entry = list(shell.audit.entries())[-1]
    directory = Path(entry["safety_backup"]["directory"])
    assert directory.parent == tmp_path / "safety" and entry["safety_backup"]["objects"] == 10_000
    assert stat.S_IMODE((tmp_path / "safety").stat().st_mode) == 0o700
    listed = ok(shell, r"\undo --list").results[0]
    assert [(row[0], row[2], row[3], row[-1]) for row in listed.rows] == [
        ("rm", [NAME], 10_000, "can be undone")]
    undone = ok(shell, r"\undo --force")
    assert "restored 10,000 objects into Note" in texts(undone)
    assert digest(sandbox.url) == before
    assert list(shell.audit.entries())[-1]["undid"] == str(directory)
    assert ok(shell, r"\undo --list").results[0].rows[0][-1].startswith("undone ")
    again = shell.execute(r"\undo --force", "test")
    assert again.exit_code == 1 and "nothing to undo" in again.error.message


def test_undo_after_clear_and_what_the_preview_says(sandbox: Sandbox, web: httpx.Client,
                                                    tmp_path: Path) -> None:
    make_notes(sandbox, 50)
    before = digest(sandbox.url)
    shell = dispatcher(sandbox.url, tmp_path)
    web.delete("/__sandbox/requests")
    dry = ok(shell, rf"\clear {NAME} --dry-run")
    assert "a safety backup of Note will be taken first" in texts(dry)
    assert not (tmp_path / "safety").exists() and mutating(sandbox.url) == []
    refused = shell.execute(rf"\clear {NAME}", "test")  # no person to ask: refused
    assert refused.exit_code != 0 and not (tmp_path / "safety").exists()
    assert list(shell.audit.entries())[-1].get("safety_backup") is None
    ok(shell, rf"\clear {NAME} --force")
    assert digest(sandbox.url) != before
    web.delete("/__sandbox/requests")
    undo_dry = ok(shell, r"\undo --dry-run")
    assert r"would undo \clear of Note" in texts(undo_dry) and mutating(sandbox.url) == []
    ok(shell, r"\undo --force")
    assert digest(sandbox.url) == before


def test_preview_lists_existing_backups_and_the_limit(sandbox: Sandbox, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    make_notes(sandbox, 30)
    monkeypatch.chdir(tmp_path)  # \backups' default directory, ./backup
    shell = dispatcher(sandbox.url, tmp_path / "state", safety_backup_max_objects=20)
    ok(shell, rf"\backup {NAME}")
    ok(shell, rf"\backup {NAME} --output {tmp_path / 'elsewhere'}")  # found in the audit log
    dry = ok(shell, rf"\rm {NAME} --dry-run")
    listed = next(r for r in dry.results if isinstance(r, Table) and r.title.startswith("Exist"))
    assert [(row[0], row[3]) for row in listed.rows] == [(NAME, 30)] * 2
    assert {Path(row[-1]).parent.name for row in listed.rows} == {"backup", "elsewhere"}
    assert "30 objects are more than safety_backup_max_objects (20)" in texts(dry)
    skipped = ok(shell, rf"\rm {NAME} --dry-run --no-safety-backup")
    assert "--no-safety-backup: no safety backup of Note will be taken" in texts(skipped)
    ok(shell, rf"\rm {NAME} --force")
    assert not (tmp_path / "state" / "safety").exists()
    assert list(shell.audit.entries())[-1].get("safety_backup") is None


def backed_up_then_changed(server: Sandbox, web: httpx.Client, tmp_path: Path, n: int, *,
                           gone: int, new: int) -> Dispatcher:
    """``n`` notes backed up to ``tmp_path/b``; then ``gone`` of them deleted, ``new`` ones
    added and one changed. A dispatcher with its state in ``tmp_path``."""
    make_notes(server, n)
    shell = dispatcher(server.url, tmp_path)
    ok(shell, rf"\backup {NAME} --output {tmp_path / 'b'}")
    for oid in sorted(state(server.url, NAME))[:gone]:
        web.delete(f"/v1/objects/{NAME}/{oid}").raise_for_status()
    add_notes(server, new, seed=2)
    changed = sorted(state(server.url, NAME))[0]
    web.patch(f"/v1/objects/{NAME}/{changed}", json={"class": NAME, "properties": {
        "title": "changed"}}).raise_for_status()
    return shell


def test_rollback_of_a_restore_that_failed_halfway_over_existing_data(
        sandbox: Sandbox, web: httpx.Client, tmp_path: Path) -> None:
    shell = backed_up_then_changed(sandbox, web, tmp_path, 200, gone=100, new=40)
    before, ids_before = digest(sandbox.url), sorted(state(sandbox.url, NAME))

    def fail_from_now(done: int) -> None:
        if done >= 60:
            web.put("/__sandbox/faults", json={"fail_rate": 1, "kinds": ["503"]})

    shell.session.progress = progress_factory([], fail_from_now)
    shell.session.connection.api.retries = 0
    manifest = tmp_path / "b" / f"{NAME}.json"
    failed = shell.execute(rf"\restore {manifest} --force --batch-size 20 --parallel 1", "t")
    web.put("/__sandbox/faults", json={"fail_rate": 0})
    shell.session.progress = None
    assert failed.exit_code == 1 and "stopped" in failed.error.message
    assert rf"\restore --rollback {manifest} removes what it wrote" in failed.error.hint
    assert digest(sandbox.url) != before
    rolled = ok(shell, rf"\restore {manifest} --rollback --force")
    said = texts(rolled)
    assert "rolled back the restore" in said and r"\undo brings them back" in said
    assert sorted(state(sandbox.url, NAME)) == ids_before  # only the inserted ones went
    assert not list((tmp_path / "b").glob("*.rollback.json"))
    ok(shell, r"\undo --force")  # the objects the restore overwrote come back
    assert digest(sandbox.url) == before


def test_rollback_of_an_abandoned_restore_removes_the_collection_it_created(
        sandbox: Sandbox, web: httpx.Client, tmp_path: Path) -> None:
    make_notes(sandbox, 100)
    shell = dispatcher(sandbox.url, tmp_path)
    ok(shell, rf"\backup {NAME} --output {tmp_path / 'b'}")
    schema_before = web.get("/v1/schema").json()

    def ctrl_c(done: int) -> None:
        if done >= 40:
            raise KeyboardInterrupt

    shell.session.progress = progress_factory([], ctrl_c)
    manifest = tmp_path / "b" / f"{NAME}.json"
    stopped = shell.execute(rf"\restore {manifest} --as Copy --batch-size 20 --parallel 1", "t")
    shell.session.progress = None
    assert stopped.status == "interrupted" and "--rollback" in stopped.error.hint
    assert httpx.get(f"{sandbox.url}/v1/schema/Copy").status_code == 200
    dry = ok(shell, rf"\restore {manifest} --rollback --dry-run")
    assert "would remove collection Copy (created by the restore of" in texts(dry)
    ok(shell, rf"\restore {manifest} --rollback --force")
    assert web.get("/v1/schema").json() == schema_before
    again = shell.execute(rf"\restore {manifest} --rollback --force", "t")
    assert again.exit_code == 1 and "no unfinished restore" in again.error.message
    mixed = shell.execute(rf"\restore {manifest} --rollback --tenant acme", "t")
    assert mixed.exit_code == 2 and mixed.error.message == "--tenant cannot be used with " \
                                                          "--rollback"


def test_undo_of_an_alter_that_drops_something_creates_the_collection_again(
        sandbox: Sandbox, web: httpx.Client, tmp_path: Path) -> None:
    make_notes(sandbox, 40)
    before, schema_before = digest(sandbox.url), web.get(f"/v1/schema/{NAME}").json()
    shell = dispatcher(sandbox.url, tmp_path)
    altered = ok(shell, rf"\alter {NAME} --set vectorIndexConfig.skip=true --force")
    assert "safety backup of Note (40 objects)" in texts(altered)
    assert web.get(f"/v1/schema/{NAME}").json()["vectorIndexConfig"]["skip"] is True
    plan = ok(shell, r"\undo --dry-run")
    assert "Note is deleted (with its 40 objects now) and created again" in texts(plan)
    ok(shell, r"\undo --force")
    assert web.get(f"/v1/schema/{NAME}").json() == schema_before
    assert digest(sandbox.url) == before


def test_undo_of_a_completed_restore_over_existing_data(sandbox: Sandbox, web: httpx.Client,
                                                        tmp_path: Path) -> None:
    shell = backed_up_then_changed(sandbox, web, tmp_path, 30, gone=10, new=5)
    before = digest(sandbox.url)
    restored = ok(shell, rf"\restore {tmp_path / 'b' / NAME}.json --force")
    assert "safety backup of Note (25 objects)" in texts(restored)
    assert digest(sandbox.url) != before
    assert not list((tmp_path / "b").glob("*.rollback.json"))  # it completed
    plan = ok(shell, r"\undo --dry-run")
    assert "first the 10 objects that restore inserted are deleted" in texts(plan)
    ok(shell, r"\undo --force")
    assert digest(sandbox.url) == before


@pytest.mark.parametrize("value", ["-1", "lots", "true", "1.5"])
def test_a_wrong_limit_in_the_config_file_is_one_clear_line(tmp_path: Path, value: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(f"safety_backup_max_objects: {value}\n")
    with pytest.raises(ConfigError, match=f"{path}: safety_backup_max_objects must be a whole"):
        load_settings(path)
    path.write_text("safety_backup_max_objects: 500000\n")
    assert load_settings(path).safety_backup_max_objects == 500_000
