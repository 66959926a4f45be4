"""``\\tenant create|set|rm`` through the dispatcher against the sandbox over HTTP, and as
``elysiactl`` processes; the sandbox's request log proves what was (not) sent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from conftest import REGISTRY, make_session, mutating_requests
from test_commands_backup_support import Recorder
from test_commands_lifecycle_remove import FakeConfirmer as Typist

from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.results import Outcome, Table
from sandbox import Sandbox
from sandbox.writes import prepare

ROOT = Path(__file__).resolve().parents[1]
TENANTS = "/v1/schema/Ticket/tenants"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Sandbox]:
    """An empty sandbox with a multi-tenant class Ticket: acme (3 objects), globex (5),
    initech (INACTIVE) and cust-000..cust-249 (empty)."""
    with Sandbox(backup_dir=tmp_path / "backups") as sandbox:
        with httpx.Client(base_url=sandbox.url) as http:
            http.post("/v1/schema", json={"class": "Ticket", "multiTenancyConfig": {
                "enabled": True}, "properties": [{"name": "subject", "dataType": ["text"]}]})
            names = [{"name": "acme"}, {"name": "globex"},
                     {"name": "initech", "activityStatus": "INACTIVE"}]
            names += [{"name": f"cust-{i:03}"} for i in range(250)]
            assert http.post(TENANTS, json=names).status_code == 200
            http.post("/v1/schema", json={"class": "Plain"})
        db = sandbox.app.db
        with db.lock:
            for tenant, n in (("acme", 3), ("globex", 5)):
                for i in range(n):
                    write = prepare(db, {"class": "Ticket", "id": str(uuid.uuid4()),
                                         "tenant": tenant, "properties": {"subject": f"s{i}"}})
                    write.col.put(write.tenant, write.obj)
        httpx.delete(f"{sandbox.url}/__sandbox/requests")
        yield sandbox


@pytest.fixture
def http(server: Sandbox) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


def execute(session: Session, line: str) -> Outcome:
    return Dispatcher(REGISTRY, session, MemoryAuditLog()).execute(line, "repl")


def statuses(http: httpx.Client) -> dict[str, str]:
    return {t["name"]: t["activityStatus"] for t in http.get(TENANTS).json()}


def cli(server: Sandbox, tmp_path: Path) -> Callable[..., subprocess.CompletedProcess]:
    """``elysiactl ARGS`` as a process against ``server``."""
    env = {**os.environ, "WEAVIATE_URL": server.url, "PYTHONPATH": str(ROOT),
           "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_STATE_HOME": str(tmp_path / "state")}

    def elysiactl(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "shell", *args], env=env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    return elysiactl


def messages(outcome: Outcome) -> str:
    return "\n".join(getattr(r, "text", "") for r in outcome.results)


def test_create_in_batches_skips_existing_names(http: httpx.Client) -> None:
    session = make_session(str(http.base_url))
    session.progress = bars = Recorder()
    names = " ".join(f"new-{i}" for i in range(150))
    outcome = execute(session, f"\\tenant create ticket acme {names} --status INACTIVE")
    assert outcome.error is None, outcome.error
    text = messages(outcome)
    assert "already there, left as they are: acme" in text
    assert "created 150 tenants in Ticket (INACTIVE)" in text
    posts = mutating_requests(http)
    assert [(p["method"], p["path"]) for p in posts] == [("POST", TENANTS)] * 2
    found = statuses(http)
    assert found["new-0"] == found["new-149"] == "COLD" and found["acme"] == "HOT"
    assert bars.units == ["tenants"] and bars.advanced == 150  # the bar counts tenants/s


def test_create_dry_run_sends_nothing(http: httpx.Client) -> None:
    outcome = execute(make_session(str(http.base_url)), r"\tenant create Ticket t1 t2 --dry-run")
    assert outcome.confirmation == "dry-run"
    assert "dry run: would create 2 tenants in Ticket" in messages(outcome)
    table = outcome.results[-1]
    assert isinstance(table, Table) and table.rows[0][0] == "POST"
    assert '{"name":"t1"}' in table.rows[0][1]
    assert mutating_requests(http) == [] and "t1" not in statuses(http)


def test_set_inactive_is_confirmed_and_batched_by_100(http: httpx.Client) -> None:
    session = make_session(str(http.base_url))
    session.confirmer = typist = Typist("yes")
    outcome = execute(session, r"\tenant set Ticket 'cust-*' acme --status INACTIVE")
    assert outcome.error is None, outcome.error
    plan, word = typist.asked[0]
    assert word == "yes" and len(plan.targets) == 251
    preview = plan.preview[0]
    assert isinstance(preview, Table) and len(preview.rows) == 20
    assert preview.rows[0] == ("acme", "ACTIVE", 3)
    assert "the first 20 of 251" in (preview.note or "")
    assert "251 tenants of Ticket, 3 objects in the active ones" in plan.preview[1].text
    puts = [r for r in mutating_requests(http) if r["method"] == "PUT"]
    assert len(puts) == 3  # 100 + 100 + 51: Weaviate refuses more than 100 in one PUT
    found = statuses(http)
    assert found["cust-249"] == found["acme"] == "COLD" and found["globex"] == "HOT"
    assert "set 251 tenants of Ticket INACTIVE" in messages(outcome)
    assert outcome.objects_affected == 3


def test_set_active_needs_no_confirmation_and_skips_the_active_ones(
        http: httpx.Client) -> None:
    outcome = execute(make_session(str(http.base_url)),
                      r"\tenant set Ticket initech acme --status ACTIVE")
    assert outcome.error is None and outcome.confirmation == "not-needed"
    assert "1 already ACTIVE, skipped" in messages(outcome)
    [put] = mutating_requests(http)
    assert put["method"] == "PUT"
    assert statuses(http)["initech"] == "HOT"


def test_set_without_a_terminal_is_refused_before_sending(http: httpx.Client) -> None:
    outcome = execute(make_session(str(http.base_url)),
                      r"\tenant set Ticket globex --status INACTIVE")
    assert outcome.exit_code == 4 and outcome.status == "refused"
    assert "without confirmation" in outcome.error.message
    assert mutating_requests(http) == [] and statuses(http)["globex"] == "HOT"


def test_offloaded_without_the_module_is_one_clear_line(http: httpx.Client) -> None:
    outcome = execute(make_session(str(http.base_url)),
                      r"\tenant set Ticket acme --status OFFLOADED --force")
    assert outcome.exit_code == 1
    assert "OFFLOADED needs Weaviate's offload-s3 module" in outcome.error.message
    assert "ENABLE_MODULES" in outcome.error.hint
    assert mutating_requests(http) == []
    # what Weaviate itself answers without the module, which the shell also translates
    answer = http.put(TENANTS, json=[{"name": "acme", "activityStatus": "OFFLOADED"}])
    assert answer.status_code == 422
    assert "offload-s3 module is not enabled" in answer.json()["error"][0]["message"]


def test_offloaded_on_an_old_server_names_the_version(http: httpx.Client) -> None:
    session = make_session(str(http.base_url))
    session.connection.server_version = "1.25.3"
    outcome = execute(session, r"\tenant set Ticket acme --status OFFLOADED --force")
    assert "offloading tenants needs Weaviate >= 1.26" in outcome.error.message
    assert http.get("/__sandbox/requests").json() == []


def test_rm_previews_counts_and_deletes_in_batches(http: httpx.Client) -> None:
    session = make_session(str(http.base_url))
    session.confirmer = typist = Typist("yes")
    outcome = execute(session, r"\tenant rm Ticket 'cust-0*' 'cust-1*' globex initech")
    assert outcome.error is None, outcome.error
    plan = typist.asked[0][0]
    assert plan.objects == 5
    line = plan.preview[1].text
    assert "202 tenants of Ticket, 5 objects in the active ones and an unknown number in 1 " \
           "inactive or offloaded one" in line
    assert plan.preview[0].rows[0] == ("cust-000", "ACTIVE", 0)  # sorted by name
    deletes = [r for r in mutating_requests(http) if r["method"] == "DELETE"]
    assert len(deletes) == 3
    left = statuses(http)
    assert set(left) == {"acme", *(f"cust-{i}" for i in range(200, 250))}
    assert outcome.objects_affected == 5


@pytest.mark.parametrize("line", [
    r"\tenant rm Ticket 'cust-*' --dry-run",
    r"\tenant rm Ticket acme --dry-run --force",
    r"\tenant set Ticket acme --status INACTIVE --dry-run",
])
def test_dry_runs_send_no_mutating_request(http: httpx.Client, line: str) -> None:
    outcome = execute(make_session(str(http.base_url)), line)
    assert outcome.confirmation == "dry-run", outcome.error
    assert messages(outcome).startswith("dry run: would ")
    assert mutating_requests(http) == []
    assert len(statuses(http)) == 253


def test_preview_counts_active_tenants_exactly_and_says_unknown_for_others(
        http: httpx.Client) -> None:
    outcome = execute(make_session(str(http.base_url)),
                      r"\tenant rm Ticket globex initech --dry-run --format json")
    preview = outcome.results[1]
    assert isinstance(preview, Table)
    assert preview.rows == (("globex", "ACTIVE", 5), ("initech", "INACTIVE", "unknown"))
    assert "unknown for INACTIVE and OFFLOADED ones, which are not loaded" in preview.note


def test_refused_confirmation_sends_nothing(http: httpx.Client) -> None:
    session = make_session(str(http.base_url))
    session.confirmer = Typist("no")
    outcome = execute(session, r"\tenant rm Ticket acme")
    assert outcome.status == "refused" and mutating_requests(http) == []


def test_protected_tenants_need_the_override(http: httpx.Client) -> None:
    session = make_session(str(http.base_url))
    session.protected = ("acme",)
    outcome = execute(session, r"\tenant rm Ticket 'a*' --force")
    assert outcome.status == "refused" and "acme is protected" in outcome.error.message
    assert mutating_requests(http) == []
    session.confirmer = typist = Typist("acme")
    outcome = execute(session, r"\tenant rm Ticket 'a*' --allow-protected")
    assert outcome.error is None and typist.asked[0][1] == "acme"
    assert "acme" not in statuses(http)


@pytest.mark.parametrize(("line", "error", "hint"), [
    (r"\tenant rm Ticket nobody 'x*' --force",
     "no tenant of Ticket matches 'nobody', 'x*'; nothing was sent", r"\tenants Ticket"),
    (r"\tenant set Plain acme --status ACTIVE", "Plain is not multi-tenant", r"\show Plain"),
    (r"\tenant set Ticket acme", "needs --status", "--status INACTIVE"),
    (r"\tenant rm Tiket acme --force", "no collection named 'Tiket'", "did you mean Ticket?"),
])
def test_bad_input_is_one_line_with_a_hint(http: httpx.Client, line: str, error: str,
                                           hint: str) -> None:
    outcome = execute(make_session(str(http.base_url)), line)
    assert outcome.exit_code in (1, 2), outcome.error
    assert error in outcome.error.message and hint in (outcome.error.hint or "")
    assert mutating_requests(http) == []


def test_server_refusals_keep_weaviate_s_reason(http: httpx.Client) -> None:
    outcome = execute(make_session(str(http.base_url)), r"\tenant create Ticket 'bad name'")
    assert outcome.exit_code == 1
    assert "is not a valid tenant name" in outcome.error.message


def test_as_processes(server: Sandbox, http: httpx.Client, tmp_path: Path) -> None:
    elysiactl = cli(server, tmp_path)
    refused = elysiactl("col", "tenant", "rm", "Ticket", "globex")
    assert refused.returncode == 4 and "without confirmation" in refused.stderr
    planned = elysiactl("col", "tenant", "rm", "Ticket", "g*", "--dry-run", "--format", "json")
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)[0] == [{"tenant": "globex", "status": "ACTIVE",
                                             "objects": 5}]
    assert mutating_requests(http) == []
    done = elysiactl("-c", r"\tenant set Ticket initech --status ACTIVE")
    assert done.returncode == 0 and "set 1 tenant of Ticket ACTIVE" in done.stderr
    removed = elysiactl("--yes", "col", "tenant", "rm", "Ticket", "globex")
    assert removed.returncode == 0, removed.stderr
    assert "deleted 1 tenant of Ticket (5 objects in the active ones)" in removed.stderr
    assert "globex" not in statuses(http) and statuses(http)["initech"] == "HOT"


def test_audit_records_the_decision_and_objects(http: httpx.Client) -> None:
    audit = MemoryAuditLog()
    dispatcher = Dispatcher(REGISTRY, make_session(str(http.base_url)), audit)
    dispatcher.execute(r"\tenant rm Ticket 'g*' --force", "repl")
    dispatcher.execute(r"\tenant set Ticket acme --status INACTIVE --dry-run", "repl")
    removed, planned = audit.entries()
    assert (removed["command"], removed["destructive"], removed["confirmation"],
            removed["objects_affected"]) == ("tenant rm", True, "forced", 5)
    assert removed["arguments"]["patterns"] == ["g*"]
    assert (planned["destructive"], planned["confirmation"]) == (True, "dry-run")
