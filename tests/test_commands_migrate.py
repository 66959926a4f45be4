"""``\\migrate`` between two sandboxes: schema, tenants, named vectors and references arrive
whole; ``--as`` and ``--set``; ``--dry-run`` sends nothing to either side; a target that has
objects needs a confirmation; a copy onto itself is refused; the target's key never reaches
the audit log."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
from migrate_support import clear_log, dispatcher, mutating, state
from test_commands_backup_support import Recorder

from commands.results import Message, Record, Table
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]


def texts(outcome) -> str:
    return "\n".join(r.text for r in outcome.results if isinstance(r, Message))


def checks(outcome) -> dict[str, str]:
    record = next(r for r in outcome.results
                  if isinstance(r, Record) and r.title.startswith("Verify"))
    return {row["check"]: row["status"] for row in record.fields["checks"]}


def record(outcome) -> Record:
    return next(r for r in outcome.results if isinstance(r, Record))


def tenants(url: str, name: str) -> dict[str, str]:
    return {t["name"]: t["activityStatus"]
            for t in httpx.get(f"{url}/v1/schema/{name}/tenants").json()}


def test_named_vectors_and_tenants_arrive_whole(source, target, tmp_path) -> None:
    shell = dispatcher(source.url, tmp_path)
    product = shell.execute(rf"\migrate Product --target {target.url} --verify full", "test")
    assert product.exit_code == 0, product.error
    assert state(target.url, "Product") == state(source.url, "Product")
    assert len(state(target.url, "Product")) == 120
    assert checks(product) == {"definition": "ok", "count": "ok", "objects": "ok"}
    tickets = shell.execute(rf"\migrate SupportTicket --target {target.url} --verify full",
                            "test")
    # umbrella (OFFLOADED) cannot be read: the copy lacks a tenant, so the exit status is 1.
    assert tickets.exit_code == 1, tickets.error
    assert checks(tickets) == {"definition": "ok", "tenant umbrella": "crit",
                               "count acme": "ok", "count globex": "ok", "count initech": "ok",
                               "objects": "ok"}
    # initech was INACTIVE: activated on the source for the copy, then set back on both sides;
    # umbrella is OFFLOADED: it cannot be read, and the summary says so.
    assert tenants(source.url, "SupportTicket")["initech"] == "COLD"
    assert tenants(target.url, "SupportTicket") == {"acme": "HOT", "globex": "HOT",
                                                    "initech": "COLD"}
    assert "umbrella (OFFLOADED)" in texts(tickets)
    httpx.put(f"{target.url}/v1/schema/SupportTicket/tenants",
              json=[{"name": "initech", "activityStatus": "HOT"}]).raise_for_status()
    httpx.put(f"{source.url}/v1/schema/SupportTicket/tenants",
              json=[{"name": "initech", "activityStatus": "HOT"}]).raise_for_status()
    for tenant in ("acme", "globex", "initech"):
        assert state(target.url, "SupportTicket", tenant) == \
            state(source.url, "SupportTicket", tenant)
    httpx.put(f"{source.url}/v1/schema/SupportTicket/tenants",
              json=[{"name": "initech", "activityStatus": "COLD"}]).raise_for_status()
    target_class = httpx.get(f"{target.url}/v1/schema/SupportTicket").json()
    assert target_class["multiTenancyConfig"]["enabled"] is True
    record = next(r for r in tickets.results if isinstance(r, Record))
    assert record.fields["copied"] == 118 and record.fields["failed"] == 0
    assert "timestamps" in texts(tickets)  # what a REST copy cannot carry is said


def test_as_and_set_create_a_changed_copy_on_the_same_cluster(source, tmp_path) -> None:
    shell = dispatcher(source.url, tmp_path)
    outcome = shell.execute(rf"\migrate Article --target {source.url} --as ArticleFlat "
                            "--set vectorIndexType=flat", "test")
    assert outcome.exit_code == 0, outcome.error
    copy = httpx.get(f"{source.url}/v1/schema/ArticleFlat").json()
    assert copy["vectorIndexType"] == "flat"
    assert httpx.get(f"{source.url}/v1/schema/Article").json()["vectorIndexType"] == "hnsw"
    assert state(source.url, "ArticleFlat") == state(source.url, "Article")
    assert checks(outcome)["definition"] == "ok"  # the --set change is not a difference
    httpx.delete(f"{source.url}/v1/schema/ArticleFlat").raise_for_status()


def test_dry_run_sends_nothing_to_either_cluster(source, target, tmp_path) -> None:
    clear_log(source.url, target.url)
    outcome = dispatcher(source.url, tmp_path).execute(
        rf"\migrate SupportTicket --target {target.url} --dry-run", "test")
    assert outcome.exit_code == 0, outcome.error
    assert "dry run: would migrate SupportTicket into new collection" in texts(outcome)
    requests = next(r for r in outcome.results if isinstance(r, Table))
    assert ("POST", "target: /v1/schema") in requests.rows
    assert ("PUT", "source: /v1/schema/SupportTicket/tenants (1 INACTIVE set ACTIVE for the "
                   "copy, then back)") in requests.rows
    assert mutating(source.url) == [] and mutating(target.url) == []
    assert not list(tmp_path.rglob("*.json"))  # no checkpoint either


def test_a_target_with_objects_needs_a_confirmation(source, target, tmp_path) -> None:
    shell = dispatcher(source.url, tmp_path)
    assert shell.execute(rf"\migrate Article --target {target.url}", "test").exit_code == 0
    extra = "00000000-0000-4000-8000-000000000001"
    httpx.post(f"{target.url}/v1/objects", json={"class": "Article", "id": extra,
                                                 "properties": {"title": "only here"}})
    victim = sorted(state(target.url, "Article"))[5]
    httpx.patch(f"{target.url}/v1/objects/Article/{victim}",
                json={"properties": {"title": "changed here"}}).raise_for_status()
    clear_log(source.url, target.url)
    refused = shell.execute(rf"\migrate Article --target {target.url}", "test")
    assert refused.exit_code == 4
    assert "--force" in refused.error.hint
    assert mutating(target.url) == [] and mutating(source.url) == []
    dry = shell.execute(rf"\migrate Article --target {target.url} --dry-run", "test")
    assert dry.exit_code == 0 and "251 objects" in texts(dry)
    assert mutating(target.url) == []
    forced = shell.execute(rf"\migrate Article --target {target.url} --force", "test")
    assert forced.exit_code == 0, forced.error
    assert forced.confirmation == "forced"
    # The reconciliation deleted what only the target had; the copy replaced the change.
    assert state(target.url, "Article") == state(source.url, "Article")
    assert "1 deleted by the reconciliation" in texts(forced)


def test_same_cluster_and_name_is_refused(source, tmp_path) -> None:
    clear_log(source.url)
    outcome = dispatcher(source.url, tmp_path).execute(
        rf"\migrate Article --target {source.url.replace('127.0.0.1', 'localhost')}", "test")
    assert outcome.exit_code == 2
    assert "onto itself" in str(outcome.error) and "--as" in outcome.error.hint
    assert mutating(source.url) == []


def test_references_are_copied_in_a_second_pass(target, tmp_path) -> None:
    with Sandbox() as source:
        http = httpx.Client(base_url=source.url)
        http.post("/v1/schema", json={"class": "Author", "properties": [
            {"name": "name", "dataType": ["text"]}]}).raise_for_status()
        http.post("/v1/schema", json={"class": "Book", "properties": [
            {"name": "title", "dataType": ["text"]},
            {"name": "writtenBy", "dataType": ["Author"]},
            {"name": "sequelOf", "dataType": ["Book"]}]}).raise_for_status()
        author = "10000000-0000-4000-8000-000000000000"
        books = [f"20000000-0000-4000-8000-00000000000{i}" for i in range(5)]
        http.post("/v1/objects", json={"class": "Author", "id": author,
                                       "properties": {"name": "Ann"}}).raise_for_status()
        for i, book in enumerate(books):
            props = {"title": f"Book {i}",
                     "writtenBy": [{"beacon": f"weaviate://localhost/Author/{author}"}]}
            if i:  # each book after the first is the sequel of the one before
                props["sequelOf"] = [{"beacon": f"weaviate://localhost/Book/{books[i - 1]}"}]
            http.post("/v1/objects", json={"class": "Book", "id": book, "properties": props,
                                           "vector": [0.1 * i, 1.0]}).raise_for_status()
        bars = Recorder()
        shell = dispatcher(source.url, tmp_path, progress=bars)
        for name in ("Author", "Book"):
            outcome = shell.execute(rf"\migrate {name} --target {target.url} --verify full",
                                    "test")
            assert outcome.exit_code == 0, outcome.error
        assert state(target.url, "Book") == state(source.url, "Book")
        # Book went without its references first, then its objects with references again.
        phases = [description for description, _ in bars.bars]
        assert "copying the references of Book" in phases
        assert "copying the references of Author" not in phases
        # the second pass is reported as such, not as changes during the copy
        assert record(outcome).fields["references"] == 5
        assert "5 copied again with their references" in texts(outcome)


def test_the_target_key_comes_from_the_environment_and_is_never_recorded(source,
                                                                        tmp_path) -> None:
    secret = "migrate-target-secret-4f1c"
    with Sandbox(api_keys={secret: "admin"}) as guarded:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "MIGRATE_KEY": secret,
               "XDG_CONFIG_HOME": str(tmp_path / "config"),
               "XDG_STATE_HOME": str(tmp_path / "state")}
        done = subprocess.run(
            [sys.executable, "-m", "shell", "--url", source.url, "col", "migrate", "Article",
             "--target", guarded.url, "--target-api-key-env", "MIGRATE_KEY", "--format",
             "json"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        assert len(state(source.url, "Article")) == 250
        count = httpx.post(f"{guarded.url}/v1/graphql", headers={
            "Authorization": f"Bearer {secret}"}, json={
            "query": "{ Aggregate { Article { meta { count } } } }"}).json()
        assert count["data"]["Aggregate"]["Article"][0]["meta"]["count"] == 250
    assert '"copied": 250' in done.stdout
    audit = (tmp_path / "state" / "elysiactl" / "audit.jsonl").read_text()
    assert "migrate" in audit and "MIGRATE_KEY" in audit and secret not in audit
    entry = json.loads(audit.splitlines()[-1])
    assert entry["command"] == "migrate"
    leftovers = list((tmp_path / "state" / "elysiactl" / "migrations").iterdir())
    assert leftovers == []  # a finished migration leaves no checkpoint


def test_verify_finds_every_kind_of_difference(source, target, tmp_path) -> None:
    from commands.api.client import RestClient
    from commands.ops.migrate.verify import verify_copy

    shell = dispatcher(source.url, tmp_path)
    assert shell.execute(rf"\migrate Product --target {target.url}", "test").exit_code == 0
    ids = sorted(state(target.url, "Product"))
    changed, revectored, gone = ids[3], ids[40], ids[77]
    extra = "ffffffff-0000-4000-8000-000000000000"
    with httpx.Client(base_url=target.url) as http:
        http.patch(f"/v1/objects/Product/{changed}",
                   json={"properties": {"price": 1.5}}).raise_for_status()
        obj = http.get(f"/v1/objects/Product/{revectored}", params={"include": "vector"}).json()
        obj["vectors"]["image_vector"][0] += 0.5
        http.put(f"/v1/objects/Product/{revectored}", json=obj).raise_for_status()
        http.delete(f"/v1/objects/Product/{gone}").raise_for_status()
        http.post("/v1/objects", json={**obj, "id": extra}).raise_for_status()
        cls = http.get("/v1/schema/Product").json()
        cls["invertedIndexConfig"]["bm25"]["b"] = 0.5
        http.put("/v1/schema/Product", json=cls).raise_for_status()
    report = verify_copy(RestClient(source.url), RestClient(target.url), "Product", "Product",
                         "full")
    assert not report.ok
    found = {m.id: m.what for m in report.mismatches}
    assert found == {changed: "differs: properties", revectored: "differs: vectors.image_vector",
                     gone: "missing on the target", extra: "not on the source"}
    assert report.definition == [("invertedIndexConfig.bm25.b", 0.75, 0.5)]
    rows = {name: status for name, status, _ in report.rows()}
    assert rows == {"definition": "warn", "count": "ok", "objects": "crit"}  # 120 = 120
    sample = verify_copy(RestClient(source.url), RestClient(target.url), "Product", "Product",
                         "sample")  # a small collection is compared whole
    assert {m.id for m in sample.mismatches} == set(found)


def test_refused_objects_go_to_the_error_file(target, tmp_path) -> None:
    with Sandbox() as source:
        cls = {"class": "Doc", "properties": [{"name": "title", "dataType": ["text"]}]}
        httpx.post(f"{source.url}/v1/schema", json=cls).raise_for_status()
        httpx.post(f"{target.url}/v1/schema", json=cls).raise_for_status()
        objects = [{"class": "Doc", "id": f"30000000-0000-4000-8000-00000000000{i}",
                    "properties": {"title": f"doc {i}"}, "vector": [1.0, float(i)]}
                   for i in range(6)]
        httpx.post(f"{source.url}/v1/batch/objects", json={"objects": objects})
        # The target's index already holds 3-dim vectors: it refuses every 2-dim one.
        httpx.post(f"{target.url}/v1/objects", json={
            "class": "Doc", "properties": {"title": "3-dim"}, "vector": [1.0, 2.0, 3.0]})
        outcome = dispatcher(source.url, tmp_path).execute(
            rf"\migrate Doc --target {target.url} --force", "test")
    assert outcome.exit_code == 1
    record = next(r for r in outcome.results if isinstance(r, Record))
    assert record.fields["failed"] == 6 and record.fields["copied"] == 0
    lines = [json.loads(line) for line in Path(record.fields["error_report"]).read_text()
             .splitlines()]
    assert sorted(e["id"] for e in lines) == [o["id"] for o in objects]
    assert all("vector dimensions do not match" in e["message"] for e in lines)
    assert f"6 objects failed; see {record.fields['error_report']}" in texts(outcome)


def test_one_tenant_and_tenants_that_cannot_be_read(source, target, tmp_path) -> None:
    shell = dispatcher(source.url, tmp_path)
    outcome = shell.execute(rf"\migrate SupportTicket --target {target.url} --tenant globex "
                            "--verify full", "test")
    assert outcome.exit_code == 0, outcome.error
    assert tenants(target.url, "SupportTicket") == {"globex": "HOT"}
    assert state(target.url, "SupportTicket", "globex") == \
        state(source.url, "SupportTicket", "globex")
    assert set(checks(outcome)) == {"definition", "count globex", "objects"}
    offloaded = shell.execute(rf"\migrate SupportTicket --target {target.url} "
                              "--tenant umbrella", "test")
    assert offloaded.exit_code == 1
    assert "umbrella of SupportTicket is OFFLOADED" in str(offloaded.error)


def test_a_replication_factor_the_target_cannot_hold(target, tmp_path) -> None:
    with Sandbox(nodes=3) as source:
        httpx.post(f"{source.url}/v1/schema", json={
            "class": "Replicated", "replicationConfig": {"factor": 3}}).raise_for_status()
        httpx.post(f"{source.url}/v1/objects", json={
            "class": "Replicated", "properties": {"n": 1}}).raise_for_status()
        clear_log(target.url)
        shell = dispatcher(source.url, tmp_path)
        refused = shell.execute(rf"\migrate Replicated --target {target.url}", "test")
        assert refused.exit_code == 1
        assert "replication factor 3 needs 3 nodes; the target has 1" in str(refused.error)
        assert "--set replicationConfig.factor=1" in refused.error.hint
        assert mutating(target.url) == []
        done = shell.execute(rf"\migrate Replicated --target {target.url} "
                             "--set replicationConfig.factor=1", "test")
        assert done.exit_code == 0, done.error
    assert httpx.get(f"{target.url}/v1/schema/Replicated").json()[
        "replicationConfig"]["factor"] == 1
    assert checks(done)["definition"] == "ok"


def test_canonical_hashes_of_properties_and_multi_vectors() -> None:
    from commands.ops.migrate.verify import differing_parts

    one = {"properties": {"n": 3, "at": "2024-01-02T03:04:05Z", "tags": ["a"]},
           "vectors": {"colbert": [[1.0, 2.0], [3.0, 4.0]], "plain": [0.5, 0.25]}}
    same = {"properties": {"tags": ["a"], "at": "2024-01-02T04:04:05+01:00", "n": 3.0},
            "vectors": {"plain": [0.5, 0.25], "colbert": [[1, 2], [3, 4]]}}
    assert differing_parts(one, same) == []  # key order, int/float, time zone do not count
    other = {**same, "vectors": {"plain": [0.5, 0.25], "colbert": [[1, 2], [3, 4.5]]}}
    assert differing_parts(one, other) == ["vectors.colbert"]
    assert differing_parts(one, {**one, "properties": {**one["properties"], "n": 4}}) == \
        ["properties"]


def test_a_quiet_source_needs_no_final_pass(source, target, tmp_path) -> None:
    objects = httpx.get(f"{source.url}/v1/objects",
                        params={"class": "Product", "limit": 1000}).json()["objects"]
    last_write_s = max(o["lastUpdateTimeUnix"] for o in objects) / 1000
    # older than the catch-up's margin (a second, and the Date header's whole seconds)
    time.sleep(max(0.0, last_write_s + 2.1 - time.time()))
    bars = Recorder()
    shell = dispatcher(source.url, tmp_path, progress=bars)
    outcome = shell.execute(rf"\migrate Product --target {target.url} --verify full", "test")
    assert outcome.exit_code == 0, outcome.error
    # the catch-up found nothing written since the copy began: it was the reconciliation
    assert [d.split(" ")[0] for d, _ in bars.bars] == ["copying", "catching", "verifying"]
    assert state(target.url, "Product") == state(source.url, "Product")


def test_interrupted_in_the_final_pass_then_rerun(source, target, tmp_path) -> None:
    interrupted = []
    changed = sorted(state(source.url, "Product"))[3]

    def ctrl_c(description: str) -> None:
        if description.startswith("catching up"):  # a write the catch-up must copy
            httpx.patch(f"{source.url}/v1/objects/Product/{changed}",
                        json={"properties": {"name": "changed during the copy"}}
                        ).raise_for_status()
        if description.startswith("final reconciliation") and not interrupted:
            interrupted.append(description)
            raise KeyboardInterrupt

    shell = dispatcher(source.url, tmp_path, progress=Recorder(on_bar=ctrl_c))
    first = shell.execute(rf"\migrate Product --target {target.url}", "test")
    assert first.exit_code == 130 and interrupted
    checkpoint = json.loads(next((tmp_path / "migrations").glob("*.json")).read_text())
    assert checkpoint["phase"] == "final" and checkpoint["copied"] == 120
    again = shell.execute(rf"\migrate Product --target {target.url} --verify full", "test")
    assert again.exit_code == 0, again.error
    assert "resumed the interrupted migration" in texts(again)
    assert state(target.url, "Product") == state(source.url, "Product")
    assert not list((tmp_path / "migrations").glob("*.json"))
