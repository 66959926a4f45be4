"""Shell responsiveness: start-up and ``\\ls`` at scale (completion: bench/completion.py).

Start-up figures are ratios to ``python -c "import prompt_toolkit, httpx, rich"`` run
in the same session: what any Python shell on these libraries pays before doing anything.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

import httpx
import pexpect

from bench.report import ROOT, Section, median_seconds, start_server, verdict
from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.meta import MODULES
from commands.ops.connection import open_connection
from commands.registry import Registry

RUNS = 9
COLLECTIONS = 1000


def _env(state: str) -> dict[str, str]:
    return {**os.environ, "XDG_STATE_HOME": state, "XDG_CONFIG_HOME": state,
            "PROMPT_TOOLKIT_NO_CPR": "1", "PYTHONPATH": str(ROOT)}


def _first_prompt(url: str, env: dict[str, str]) -> float:
    """Seconds from spawning the shell in a terminal to its prompt (leaving is not counted)."""
    started = time.perf_counter()
    child = pexpect.spawn(sys.executable, ["-m", "shell", "--url", url], cwd=str(ROOT), env=env,
                          dimensions=(40, 120), timeout=30)
    child.expect(r"> ")
    elapsed = time.perf_counter() - started
    child.sendline(r"\q")
    child.expect(pexpect.EOF)
    return elapsed


def _baseline_in_terminal(env: dict[str, str]) -> float:
    """The baseline run through the same pseudo-terminal harness as the first prompt."""
    started = time.perf_counter()
    child = pexpect.spawn(sys.executable, ["-c", "import prompt_toolkit, httpx, rich"],
                          env=env, dimensions=(40, 120), timeout=30)
    child.expect(pexpect.EOF)
    return time.perf_counter() - started


def _fill(url: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as http:
        for i in range(COLLECTIONS):
            http.post("/v1/schema", json={"class": f"Bench{i:04d}", "properties": [
                {"name": "title", "dataType": ["text"]}]}).raise_for_status()


def _ls_verbose(url: str) -> tuple[float, int]:
    dispatcher = Dispatcher(Registry.from_modules(MODULES), Session(), MemoryAuditLog())
    dispatcher.session.connection = open_connection(url)
    with httpx.Client(base_url=url) as http:
        http.delete("/__sandbox/requests")
        seconds = median_seconds(lambda: dispatcher.execute(r"\ls --verbose", "bench"), RUNS)
        requests = len(http.get("/__sandbox/requests").json()) / RUNS
    return seconds, int(requests)


def run() -> Section:
    """Measure against a sandbox in its own process."""
    with tempfile.TemporaryDirectory() as state:
        env = _env(state)
        server, port = start_server(["-m", "sandbox", "--port", "0", "--seed", "none"], True)
        url = f"http://127.0.0.1:{port}"
        try:
            base = median_seconds(lambda: subprocess.run(
                [sys.executable, "-c", "import prompt_toolkit, httpx, rich"], check=True), RUNS)
            one_shot = median_seconds(lambda: subprocess.run(
                [sys.executable, "-m", "shell", "--url", url, "-c", r"\ls"], cwd=ROOT, env=env,
                check=True, capture_output=True), RUNS)
            # Interleaved, so that machine drift hits subject and baseline alike.
            pairs = [(_first_prompt(url, env), _baseline_in_terminal(env)) for _ in range(RUNS)]
            prompt = statistics.median(p for p, _ in pairs)
            pty_base = statistics.median(b for _, b in pairs)
            started = time.perf_counter()
            _fill(url)
            fill_s = time.perf_counter() - started
            ls_s, requests = _ls_verbose(url)
        finally:
            server.kill()
    rows = [
        ("time to first prompt (in a pseudo-terminal)",
         f"{prompt * 1000:.0f} ms ({prompt / pty_base:.2f}x)",
         f"at most 1.5x: {verdict(prompt / pty_base <= 1.5)}"),
        (r"`elysiactl -c '\ls'` wall time", f"{one_shot * 1000:.0f} ms ({one_shot / base:.2f}x)",
         f"at most 1.5x: {verdict(one_shot / base <= 1.5)}"),
        (rf"`\ls --verbose` over {COLLECTIONS:,} collections",
         f"{ls_s * 1000:.0f} ms, {requests} requests",
         f"under 500 ms, at most 3 requests: {verdict(ls_s < 0.5 and requests <= 3)}"),
    ]
    met = prompt / pty_base <= 1.5 and one_shot / base <= 1.5 and ls_s < 0.5 and requests <= 3
    return Section(
        "Shell responsiveness",
        f"Medians of {RUNS} runs against a sandbox in its own process. The baseline is "
        f"`python -c \"import prompt_toolkit, httpx, rich\"`, run the same way as what it is "
        f"compared with: {base * 1000:.0f} ms as a subprocess, {pty_base * 1000:.0f} ms in a "
        f"pseudo-terminal. Creating the {COLLECTIONS:,} collections took {fill_s:.1f} s (not "
        "counted).",
        ("measure", "result", "aim"), rows, met)
