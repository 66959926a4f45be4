"""``\\migrate`` run again: a rerun with other options than the interrupted migration's is
refused (it would resume with the old ones), a second run while one runs is refused at
once, and an interrupted run sets the source tenants it activated back (or says how)."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import httpx
from migrate_support import REGISTRY, clear_log, connect, dispatcher, mutating, state
from test_commands_backup_support import Recorder

from commands.api.client import RestClient
from commands.audit import MemoryAuditLog
from commands.context import Connection, Session
from commands.dispatch import Dispatcher


def interrupt_at(phase: str) -> Recorder:
    def ctrl_c(description: str) -> None:
        if description.startswith(phase):
            raise KeyboardInterrupt

    return Recorder(on_bar=ctrl_c)


def status(url: str, name: str, tenant: str) -> str:
    return httpx.get(f"{url}/v1/schema/{name}/tenants/{tenant}").json()["activityStatus"]


def test_a_rerun_with_other_options_is_refused(source, target, tmp_path) -> None:
    first = dispatcher(source.url, tmp_path, progress=interrupt_at("copying")).execute(
        rf"\migrate Article --target {target.url} --as A9", "test")
    assert first.exit_code == 130
    shell = dispatcher(source.url, tmp_path)
    clear_log(target.url)
    for other in ("--as A9 --set vectorIndexType=flat", "--as A10", ""):
        refused = shell.execute(rf"\migrate Article --target {target.url} {other}", "test")
        assert refused.exit_code == 2, other
        message = str(refused.error)
        assert "an interrupted migration of Article to" in message
        assert "--as A9" in message and "--set" not in message  # the pending one's options
        assert "rerun that command to resume it" in refused.error.hint
        assert "remove its checkpoint" in refused.error.hint and "A9 it created" in \
            refused.error.hint
    assert mutating(target.url) == []
    resumed = shell.execute(rf"\migrate Article --target {target.url} --as A9", "test")
    assert resumed.exit_code == 0, resumed.error
    assert httpx.get(f"{target.url}/v1/schema/A9").json()["vectorIndexType"] == "hnsw"
    assert state(target.url, "A9") == state(source.url, "Article")


def test_a_second_identical_run_is_refused_while_the_first_runs(source, target,
                                                                tmp_path) -> None:
    copying, go_on = threading.Event(), threading.Event()

    def hold(description: str) -> None:
        if description.startswith("copying"):
            copying.set()
            go_on.wait(30)

    line = rf"\migrate Article --target {target.url}"
    outcomes = []
    first = threading.Thread(target=lambda: outcomes.append(
        dispatcher(source.url, tmp_path, progress=Recorder(on_bar=hold)).execute(line, "t")))
    first.start()
    try:
        assert copying.wait(30)
        second = dispatcher(source.url, tmp_path).execute(line, "test")
    finally:
        go_on.set()
        first.join(60)
    assert second.exit_code == 1
    assert f"another \\migrate of Article to http://localhost:{target.port} is running " \
           f"(pid {os.getpid()}, started 20" in str(second.error)
    assert "resumed" not in " ".join(str(r) for r in second.results)
    assert outcomes[0].exit_code == 0, outcomes[0].error
    assert state(target.url, "Article") == state(source.url, "Article")
    assert not list((tmp_path / "migrations").iterdir())  # neither checkpoint nor lock left


def test_an_interrupted_run_sets_the_activated_tenant_back(source, target, tmp_path) -> None:
    assert status(source.url, "SupportTicket", "initech") == "COLD"
    line = rf"\migrate SupportTicket --target {target.url} --tenant initech"
    first = dispatcher(source.url, tmp_path, progress=interrupt_at("copying")).execute(line,
                                                                                        "t")
    assert first.exit_code == 130 and str(first.error) == "interrupted"
    assert status(source.url, "SupportTicket", "initech") == "COLD"
    again = dispatcher(source.url, tmp_path).execute(line, "test")
    assert again.exit_code == 0, again.error
    assert status(source.url, "SupportTicket", "initech") == "COLD"


def test_a_tenant_that_cannot_be_set_back_is_named_with_the_request(source, target,
                                                                    tmp_path: Path) -> None:
    def faults(rate: float) -> None:
        httpx.put(f"{source.url}/__sandbox/faults",
                  json={"fail_rate": rate, "kinds": ["503"]}).raise_for_status()

    def source_goes_away(description: str) -> None:
        if description.startswith("copying"):
            faults(1.0)
            raise KeyboardInterrupt

    api = RestClient(source.url, retries=0)  # the fault is not retried away
    session = Session(connection=Connection(api=api, url=source.url), connector=connect,
                      state_dir=tmp_path, progress=Recorder(on_bar=source_goes_away))
    line = rf"\migrate SupportTicket --target {target.url} --tenant initech"
    try:
        failed = Dispatcher(REGISTRY, session, MemoryAuditLog(), None).execute(line, "test")
    finally:
        faults(0)
    assert failed.exit_code == 130 and failed.status == "interrupted"
    assert status(source.url, "SupportTicket", "initech") == "HOT"
    message = str(failed.error)
    assert message.startswith("interrupted; tenant initech of SupportTicket stays ACTIVE")
    assert (f"curl -X PUT {source.url}/v1/schema/SupportTicket/tenants -H 'Content-Type: "
            "application/json' -d '[{\"name\":\"initech\",\"activityStatus\":\"INACTIVE\"}]'"
            ) in message
    again = dispatcher(source.url, tmp_path).execute(line, "test")
    assert again.exit_code == 0, again.error
    assert status(source.url, "SupportTicket", "initech") == "COLD"
