"""Profiles with ``read_only: true``: every write is refused before it is sent, whatever the
flags (--force, --yes), destructive commands at the dispatcher and every other write at the
REST client; reads (GraphQL, has-permission, tokenize, aggregate and search POSTs) go on.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REGISTRY, mutating_requests

from commands.api.client import RestClient, is_read
from commands.audit import MemoryAuditLog
from commands.context import Connection, Session
from commands.dispatch import Dispatcher
from commands.errors import Refused
from commands.spec import CommandSpec, Kind
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
# Sample values per kind, naming what the demo seed has, so that each command gets as far
# as it can before it would write.
SAMPLES = {Kind.COLLECTION: "Article", Kind.TENANT: "acme", Kind.UUID:
           "00000000-0000-0000-0000-000000000001", Kind.INT: "1", Kind.NUMBER: "1",
           Kind.FILE: "missing.jsonl", Kind.URL: "http://127.0.0.1:9", Kind.PROFILE: "other"}
# Writes that are not destructive (so only the REST client stops them), with a line that
# reaches the write; every one must be refused naming the profile.
WRITES = [r"\backup --native filesystem --id ro-check",
          r"\export Article --backend filesystem --id ro-check",
          r"\tenant create SupportTicket ro-tenant",
          r"\tenant set SupportTicket initech --status ACTIVE",
          r"\alias create RoAlias Article",
          r"\alter Article --description 'read-only check'",
          r"\shards Article --set READY",
          r"\reindex Article title searchable --rebuild"]
SKIPPED = {"q", "connect"}  # leaving the REPL; opening another cluster (no connector here)


@pytest.fixture(scope="module")
def seeded() -> Iterator[Sandbox]:
    with Sandbox(seed="demo") as server:
        yield server


@pytest.fixture
def http(seeded: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=seeded.url, timeout=10) as client:
        client.delete("/__sandbox/requests")
        yield client


def read_only_dispatcher(url: str) -> Dispatcher:
    api = RestClient(url, retries=0, read_only="audit")
    session = Session(connection=Connection(api=api, url=url, profile="audit",
                                            server_version="1.39.0"), assume_yes=True)
    return Dispatcher(REGISTRY, session, MemoryAuditLog())


def sample_line(spec: CommandSpec) -> str:
    """A line for ``spec`` built from its declaration: every argument filled in, --force
    when it has one."""
    words = [f"\\{spec.name}"]
    for arg in spec.args:
        if arg.required or arg.kind is Kind.COLLECTION:
            words.append(arg.choices[0] if arg.choices else SAMPLES.get(arg.kind, "x"))
    words += [o.name for o in spec.opts if o.name == "--force"]
    return " ".join(words)


def test_reads_are_recognised() -> None:
    assert is_read("GET", "/v1/schema") and is_read("POST", "/v1/graphql")
    assert is_read("POST", "/v1/authz/roles/admin/has-permission")
    assert is_read("POST", "/v1/schema/Article/properties/title/tokenize")
    assert is_read("POST", "/v1/aggregate/Article") and is_read("POST", "/v1/search/A/bm25")
    assert not is_read("POST", "/v1/schema") and not is_read("DELETE", "/v1/schema/Article")
    assert not is_read("POST", "/v1/batch/objects") and not is_read("PUT", "/v1/aliases/a")


def test_the_client_refuses_writes_unsent(seeded: Sandbox, http: httpx.Client) -> None:
    api = RestClient(seeded.url, retries=0, read_only="audit")
    with pytest.raises(Refused, match=r"profile audit is read-only: POST /v1/schema was not"):
        api.request("POST", "/v1/schema", json={"class": "Nope"})
    answer = api.request("POST", "/v1/graphql",
                         json={"query": "{ Aggregate { Article { meta { count } } } }"})
    assert answer.json()["data"]["Aggregate"]["Article"][0]["meta"]["count"] > 0
    assert mutating_requests(http) == []


def test_every_command_sends_no_write(seeded: Sandbox, http: httpx.Client, tmp_path: Path,
                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # \\backup writes its files here
    dispatcher = read_only_dispatcher(seeded.url)
    lines = [sample_line(s) for s in REGISTRY.specs if s.name not in SKIPPED]
    outcomes = {line: dispatcher.execute(line, "test") for line in lines + WRITES}
    assert mutating_requests(http) == []
    for spec in REGISTRY.specs:
        if spec.destructive and spec.needs_connection and spec.name not in SKIPPED:
            outcome = outcomes[sample_line(spec)]
            assert outcome.status == "refused", (spec.name, outcome.error)
            assert "profile audit is read-only" in outcome.error.message
    for line in WRITES:
        assert outcomes[line].status == "refused", (line, outcomes[line].error)
        assert "profile audit is read-only" in outcomes[line].error.message
    # reads still work on the same connection
    assert dispatcher.execute(r"\count Article", "test").status == "ok"


def test_a_dry_run_shows_the_plan_and_sends_nothing(seeded: Sandbox, http: httpx.Client) -> None:
    outcome = read_only_dispatcher(seeded.url).execute(r"\rm Article --dry-run", "test")
    assert outcome.status == "ok", outcome.error
    assert "dry run" in outcome.results[0].text
    assert mutating_requests(http) == []


def test_a_read_only_profile_as_a_process(seeded: Sandbox, http: httpx.Client,
                                          tmp_path: Path) -> None:
    config = tmp_path / "config" / "elysiactl"
    config.mkdir(parents=True)
    (config / "config.yaml").write_text(
        f"profiles:\n  audit:\n    url: {seeded.url}\n    read_only: true\n")
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_STATE_HOME": str(tmp_path / "state"), "PYTHONPATH": str(ROOT)}
    env.pop("WEAVIATE_URL", None)
    for command in ([r"\rm Article --force"], [r"\create Fresh --force"],
                    [r"\backup --native filesystem --id ro-proc"]):
        done = subprocess.run([sys.executable, "-m", "shell", "--yes", "--profile", "audit",
                               "-c", *command], env=env, capture_output=True, text=True,
                              timeout=60, cwd=ROOT)
        assert done.returncode == 4, (command, done.stderr)
        assert "profile audit is read-only" in done.stderr
        assert "Traceback" not in done.stderr
    shown = subprocess.run([sys.executable, "-m", "shell", "--profile", "audit", "-c",
                            r"\count Article", "-c", r"\conninfo --format json"], env=env,
                           capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert shown.returncode == 0, shown.stderr
    assert '"read_only": true' in shown.stdout
    assert mutating_requests(http) == []
