"""``\\stats --watch`` live: the dashboard in a pseudo-terminal (drawn, ``q`` and Ctrl-C quit
back to the prompt), a slow node (stale, yet redrawn on time), a node past the peer
deadline, and the requests one interval costs, counted from the sandbox's request log.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pexpect
import pytest
from conftest import REGISTRY
from test_commands_stats import add_replicated
from test_shell_repl import terminal  # noqa: F401 - the shell at its prompt in a pty

from commands.api.client import RestClient
from commands.audit import MemoryAuditLog
from commands.context import Connection, Session
from commands.dispatch import Dispatcher
from commands.meta.stats import frame_results, screen_lines
from commands.ops.stats import sample as stats_ops
from commands.ops.stats.poll import Stale
from commands.ops.stats.sample import Frame, Sampler, StatsOptions
from commands.results import Result, Table
from sandbox import Sandbox

ROOT = Path(__file__).resolve().parents[1]
PROMPT = r"127\.0\.0\.1:\d+> "


class Recorder:
    """A live view that keeps each frame's data and when it was shown."""

    format = "json"
    width = None

    def __init__(self, on_frame: Any = None, height: int | None = None) -> None:
        self.frames: list[tuple[float, dict[str, Any]]] = []
        self.on_frame = on_frame
        self.height = height

    def show(self, results: list[Result]) -> None:
        self.frames.append((time.monotonic(), results[0].to_data()))
        if self.on_frame:
            self.on_frame(len(self.frames))

    def wait(self, seconds: float) -> bool:
        time.sleep(seconds)
        return True


class Screen(Recorder):
    """A dashboard of ``height`` x 80 that keeps what it was shown."""

    format, width = "table", 80

    def __init__(self, height: int = 24) -> None:
        super().__init__(height=height)
        self.shown: list[list[Result]] = []

    def show(self, results: list[Result]) -> None:
        self.shown.append(results)


def watch(url: str, line: str, recorder: Recorder) -> Dispatcher:
    @contextmanager
    def live(fmt: str) -> Iterator[Recorder]:
        yield recorder

    session = Session(connection=Connection(api=RestClient(url, retries=0), url=url), live=live)
    runner = Dispatcher(REGISTRY, session, MemoryAuditLog())
    outcome = runner.execute(line, "test")
    assert outcome.error is None and outcome.results == [], outcome.error
    return runner


# --- a pseudo-terminal ---------------------------------------------------------------------

def test_dashboard_redraws_and_q_returns_to_the_prompt(
        terminal: pexpect.spawn, tmp_path: Path) -> None:  # noqa: F811 - the imported fixture
    terminal.sendline(r"\stats --watch 0.3")
    terminal.expect("Collections")
    terminal.expect("DocumentChunk +20000")
    terminal.expect("sample 3 at")  # redrawn in place, on time
    terminal.expect("Nodes")
    terminal.send("q")
    terminal.expect(PROMPT)
    # The terminal is itself again: the prompt reads a line and a command runs.
    terminal.sendline(r"\count Article")
    terminal.expect("250")
    terminal.expect(PROMPT)
    terminal.sendline(r"\q")
    terminal.expect(pexpect.EOF)
    audit = [json.loads(line) for line in (tmp_path / "state" / "elysiactl" / "audit.jsonl")
             .read_text().splitlines()]
    assert [(e["command"], e["status"]) for e in audit] == [
        ("stats", "ok"), ("count", "ok"), ("q", "ok")]


def test_ctrl_c_quits_the_dashboard_too(terminal: pexpect.spawn) -> None:  # noqa: F811
    terminal.sendline(r"\stats Art* --watch 0.2 --by shard")
    terminal.expect("Collections by shard")
    terminal.expect("sample 2 at")
    terminal.sendcontrol("c")
    terminal.expect(PROMPT)
    terminal.sendline(r"\stats Art* --format json")
    terminal.expect('"objects": 250')
    terminal.expect(PROMPT)
    terminal.sendcontrol("d")
    terminal.expect(pexpect.EOF)


def test_a_watch_that_matches_nothing_says_so_at_every_redraw(
        terminal: pexpect.spawn) -> None:  # noqa: F811
    terminal.sendline(r"\stats abc --watch 0.2")
    terminal.expect("no collection matches 'abc': only the nodes are watched")
    terminal.expect("sample 2 at")
    terminal.expect("no collection matches 'abc': only the nodes are watched")  # redrawn too
    terminal.expect("node1")
    terminal.send("q")
    terminal.expect(PROMPT)


def test_one_shot_count_at_a_terminal_stops_by_itself(tmp_path: Path) -> None:
    with Sandbox(seed="demo") as server:
        env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
               "PYTHONPATH": str(ROOT), "TERM": "xterm", "WEAVIATE_URL": server.url}
        child = pexpect.spawn(sys.executable, ["-m", "shell", "col", "stats", "--watch", "0.2",
                                               "--count", "2"], cwd=str(ROOT), env=env,
                              dimensions=(50, 160), timeout=20, encoding="utf-8")
        child.expect("sample 2 at")
        child.expect(pexpect.EOF)
        child.close()
        assert child.exitstatus == 0


def test_the_dashboard_fits_80_columns_and_24_lines(demo: Sandbox, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT), "TERM": "xterm", "WEAVIATE_URL": demo.url}
    for line in ("col stats", "col stats --watch 0.3"):  # one-shot, then the dashboard
        child = pexpect.spawn(sys.executable, ["-m", "shell", *line.split()], cwd=str(ROOT),
                              env=env, dimensions=(24, 80), timeout=20, encoding="utf-8")
        child.expect(r"ELYSIACTL_Audit +40 ")  # names whole, never "DocumentCh/unk"
        child.expect("left out at 80 columns: objects_per_node, tenants")  # said, not lost
        child.expect("Nodes")
        child.expect(r"node1 +HEALTHY")  # the nodes' table is drawn, not cut to "..."
        if "--watch" in line:
            child.expect(r"sample \d+ at")  # redrawn: the nodes' table again
            child.expect(r"node1 +HEALTHY")
            child.send("q")
        child.expect(pexpect.EOF)
        assert "DocumentCh\r" not in child.before and "..." not in child.before


def test_every_frame_fits_the_screen_with_the_nodes_last(sandbox: Sandbox) -> None:
    http = httpx.Client(base_url=sandbox.url)
    for i in range(30):
        http.post("/v1/schema", json={"class": f"AVeryLongCollectionName{i:02d}",
                                      "multiTenancyConfig": {"enabled": i % 2 == 0}}
                  ).raise_for_status()
    screen = Screen()
    watch(sandbox.url, r"\stats --watch 0.2 --count 3", screen)
    for results in screen.shown:
        assert screen_lines(results, 80) <= 24
        rows, nodes = (r for r in results if isinstance(r, Table))
        assert "objects_per_node" not in rows.columns and "objects_per_node" in rows.note
        assert max(len(str(row[0])) for row in rows.rows) == len("AVeryLongCollectionName00")
        assert nodes.title == "Nodes" and [n[0] for n in nodes.rows] == ["node1"]
    assert len(rows.rows) >= 5  # the second frame on used what the first one measured


# --- a slow node ---------------------------------------------------------------------------

@pytest.fixture
def three_nodes() -> Iterator[Sandbox]:
    with Sandbox(nodes=3) as server:
        add_replicated(server.url)
        yield server


def test_a_slow_node_makes_samples_stale_but_never_late(three_nodes: Sandbox) -> None:
    url = three_nodes.url

    def slow_down(frames: int) -> None:
        if frames == 1:  # node2 now answers its peers after 1.5 s, above the interval
            httpx.put(f"{url}/__sandbox/nodes/node2", json={"latency_ms": 1500}
                      ).raise_for_status()

    recorder = Recorder(slow_down)
    started = time.monotonic()
    watch(url, r"\stats --watch 0.4 --count 6", recorder)
    times = [t for t, _ in recorder.frames]
    frames = [f for _, f in recorder.frames]
    assert len(frames) == 6
    # Redrawn on time: never a gap of the slow node's 1.5 s.
    gaps = [b - a for a, b in zip([started, *times], times, strict=False)]
    assert max(gaps) < 0.9, gaps
    assert frames[0]["stale"] == [] and frames[0]["rows"][0]["objects"] == 30
    late = frames[-1]
    sources = {s["source"]: s for s in late["stale"]}
    assert {"/v1/nodes", "/v1/nodes/Rep"} <= set(sources)
    assert sources["/v1/nodes"]["age_s"] >= 1.0  # the last good answer, with its age
    assert sources["/v1/nodes"]["error"] == (  # what happened, not "cannot reach"
        "/v1/nodes did not answer within 0.36 s (a slow node delays every /v1/nodes answer)")
    assert late["rows"][0]["objects"] == 30  # shown as last known, not blank
    assert [n["status"] for n in late["nodes"]] == ["HEALTHY"] * 3
    # As tables (the dashboard): warnings with the age, the late row and nodes marked.
    tables = frame_results(Frame(
        number=6, time=late["time"], interval_s=0.4, by="collection",
        columns=("collection", "objects"), rows=late["rows"], nodes=late["nodes"],
        metrics=None, stale=[Stale(s["source"], s["age_s"], s["error"])
                             for s in late["stale"]], matched=1), "table", live=True)
    texts = [getattr(r, "text", "") for r in tables]
    assert any(t.startswith("stale: /v1/nodes (last good answer") for t in texts)
    assert tables[-2].rows[0] == ("Rep (stale)", 30) and tables[-1].title == "Nodes (stale)"


def test_a_one_shot_gives_up_on_a_slow_node_and_says_which_request(
        three_nodes: Sandbox, monkeypatch: pytest.MonkeyPatch) -> None:
    url = three_nodes.url
    assert Sampler(RestClient(url), StatsOptions()).timeout == 10  # the one-shot's own limit
    monkeypatch.setattr(stats_ops, "ONE_SHOT_TIMEOUT", 0.5)
    httpx.put(f"{url}/__sandbox/nodes/node2", json={"latency_ms": 5000}).raise_for_status()
    started = time.monotonic()
    outcome = Dispatcher(REGISTRY, Session(connection=Connection(
        api=RestClient(url), url=url)), MemoryAuditLog()).execute(r"\stats", "test")
    assert time.monotonic() - started < 3  # its own 0.5 s limit, not the node's 5 s
    assert outcome.exit_code == 3
    assert outcome.error.message == ("/v1/nodes did not answer within 0.5 s (a slow node "
                                     "delays every /v1/nodes answer)")


def test_a_node_past_the_peer_deadline_is_reported_timeout(three_nodes: Sandbox) -> None:
    url = three_nodes.url
    httpx.put(f"{url}/__sandbox/cluster", json={"internal_timeout_ms": 300}).raise_for_status()
    httpx.put(f"{url}/__sandbox/nodes/node3", json={"latency_ms": 5000}).raise_for_status()
    recorder = Recorder()
    watch(url, r"\stats --watch 1 --count 1", recorder)
    [(_, frame)] = recorder.frames
    assert frame["stale"] == []
    assert {n["node"]: n["status"] for n in frame["nodes"]} == {
        "node1": "HEALTHY", "node2": "HEALTHY", "node3": "TIMEOUT"}
    assert any("not counted: the shards on node3" in note for note in frame["notes"])
    assert "node3" not in frame["rows"][0]["objects_per_node"]


# --- cost ----------------------------------------------------------------------------------

def test_one_interval_costs_minimal_nodes_and_verbose_for_the_shown_only() -> None:
    with Sandbox() as server:
        http = httpx.Client(base_url=server.url)
        for i in range(30):
            http.post("/v1/schema", json={"class": f"Coll{i:02d}"}).raise_for_status()
        http.post("/v1/batch/objects", json={"objects": [
            {"class": f"Coll{i:02d}", "properties": {"n": n}}
            for i in range(20, 30) for n in range(i)]}).raise_for_status()
        http.delete("/__sandbox/requests")
        recorder = Recorder()
        watch(server.url, r"\stats --watch 0.3 --count 4 --limit 5", recorder)
        made = [(r["path"], r["query"].get("output")) for r in http.get(
            "/__sandbox/requests").json()]
    shown = {f"/v1/nodes/Coll{i}" for i in range(25, 30)}  # the five largest
    assert [r["collection"] for r in recorder.frames[-1][1]["rows"]] == [
        f"Coll{i}" for i in range(29, 24, -1)]
    assert made.count(("/v1/nodes", "minimal")) == 4  # every interval
    assert made.count(("/v1/schema", None)) == 1  # cached for a minute
    assert made.count(("/v1/nodes", "verbose")) == 1  # ranking: once a minute
    per_class = [p for p, o in made if p.startswith("/v1/nodes/")]
    assert set(per_class) == shown and len(per_class) == 4 * 5
    assert len(made) == 4 * (1 + 5) + 2


def test_a_dashboard_asks_only_for_the_rows_that_fit_on_its_screen(demo: Sandbox) -> None:
    httpx.delete(f"{demo.url}/__sandbox/requests")
    screen = Screen(height=24)  # one node, no metrics: 4 rows first, then what it measured
    watch(demo.url, r"\stats --watch 0.2 --count 2", screen)
    rows = [next(r for r in shown if isinstance(r, Table)).rows for shown in screen.shown]
    assert [len(r) for r in rows] == [4, 5]
    made = [r["path"] for r in httpx.get(f"{demo.url}/__sandbox/requests").json()]
    assert sum(p.startswith("/v1/nodes/") for p in made) == 4 + 5
    assert made.count("/v1/nodes") == 2 + 1  # minimal twice, the full verbose ranking once


def test_q_restores_the_terminal_settings(demo: Sandbox, tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path),
           "PYTHONPATH": str(ROOT), "TERM": "xterm", "PS1": "$ ", "WEAVIATE_URL": demo.url}
    shell = pexpect.spawn("bash", ["--norc", "--noprofile"], env=env, cwd=str(ROOT),
                          dimensions=(50, 160), timeout=20, encoding="utf-8")
    try:
        shell.expect(r"\$ ")
        shell.sendline(f"{sys.executable} -m shell col stats --watch 0.2; echo EXIT=$?")
        shell.expect("sample 2 at")
        shell.send("q")
        shell.expect(r"EXIT=(\d+)")
        assert shell.match.group(1) == "0"
        shell.sendline("stty -a | tr ' ' '\\n' | grep -xE -- '-?(icanon|echo)' | tr '\\n' ,;"
                       " echo :END")
        shell.expect(r"(-?icanon),(-?echo),:END")
        assert shell.match.groups() == ("icanon", "echo")  # cooked mode again, not cbreak
    finally:
        shell.terminate(force=True)
