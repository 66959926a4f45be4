"""Shell responsiveness: start-up and ``\\ls`` at scale (completion: bench/completion.py).

Every figure is a ratio to a baseline run in the same session, the same way (subprocess or
pseudo-terminal), interleaved with what it is compared with so that machine drift hits both:

- the first prompt against the import floor of the libraries the REPL loads before it:
  ``python -c "import prompt_toolkit, httpx"`` (rich is loaded on the first output, after
  the prompt; the issue's original floor with rich is reported beside it);
- ``elysiactl --version`` and ``--help`` against ``python -c pass``: the cheap path loads
  none of prompt_toolkit, httpx or rich (tests/test_shell_start.py proves that).

Children run as an installed package runs: with its bytecode cached (in a temporary
``PYTHONPYCACHEPREFIX``, warmed once), even where ``PYTHONDONTWRITEBYTECODE`` is set for the
session, which would otherwise compile the project from source on every start.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pexpect

from bench.report import ROOT, Section, median_seconds, process_env, start_server, verdict
from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.meta import MODULES
from commands.ops.connection import open_connection
from commands.registry import Registry

RUNS = 15
COLLECTIONS = 1000
FLOOR = "import prompt_toolkit, httpx"
ISSUE_FLOOR = "import prompt_toolkit, httpx, rich"
# What any prompt_toolkit REPL pays beyond importing: key bindings, styles, the first render.
BARE_PROMPT = ("import httpx; from prompt_toolkit import PromptSession; "
               "PromptSession().prompt('bare> ')")


def _elysiactl() -> list[str]:
    """The installed console script, as a user types it (``python -m shell`` without one)."""
    script = Path(sys.executable).with_name("elysiactl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "shell"]


def _prompts(url: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds from spawning the shell in a terminal to its first prompt, and to the prompt
    that names the cluster (the first one may still be ``(connecting)> ``); leaving is not
    counted."""
    started = time.perf_counter()
    command = _elysiactl()
    child = pexpect.spawn(command[0], [*command[1:], "--url", url], cwd=str(ROOT), env=env,
                          dimensions=(40, 120), timeout=30)
    child.expect(r"(\(connecting\)|:\d+)> ")
    first = connected = time.perf_counter() - started
    if child.match.group(1) == b"(connecting)":
        child.expect(url.removeprefix("http://").encode() + b"> ")
        connected = time.perf_counter() - started
    child.sendline(r"\q")
    child.expect(pexpect.EOF)
    return first, connected


def _bare_prompt(env: dict[str, str]) -> float:
    """Seconds to the prompt of a bare ``PromptSession`` with httpx loaded."""
    started = time.perf_counter()
    child = pexpect.spawn(sys.executable, ["-c", BARE_PROMPT], env=env, dimensions=(40, 120),
                          timeout=30)
    child.expect(r"bare>")
    elapsed = time.perf_counter() - started
    child.sendline("")
    child.expect(pexpect.EOF)
    return elapsed


def _in_terminal(code: str, env: dict[str, str]) -> float:
    """``python -c CODE`` through the same pseudo-terminal harness as the first prompt."""
    started = time.perf_counter()
    child = pexpect.spawn(sys.executable, ["-c", code], env=env, dimensions=(40, 120),
                          timeout=30)
    child.expect(pexpect.EOF)
    return time.perf_counter() - started


def _process(args: list[str], env: dict[str, str]) -> Callable[[], float]:
    def run() -> float:
        started = time.perf_counter()
        subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True)
        return time.perf_counter() - started
    return run


def _interleaved(*actions: Callable[[], float]) -> list[float]:
    """The median of each action, run in turn ``RUNS`` times after one warm-up round; each
    round starts one action later, so that none always runs in the wake of the same one
    (a shell that just quit may still have the sandbox busy with its last requests)."""
    for action in actions:
        action()
    samples: list[list[float]] = [[] for _ in actions]
    for round_ in range(RUNS):
        for step in range(len(actions)):
            index = (round_ + step) % len(actions)
            samples[index].append(actions[index]())
    return [statistics.median(column) for column in samples]


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


def _ms(seconds: float, base: float) -> str:
    return f"{seconds * 1000:.0f} ms ({seconds / base:.2f}x)"


def run() -> Section:
    """Measure against a sandbox in its own process."""
    with tempfile.TemporaryDirectory() as state:
        env = process_env(state)
        server, port = start_server(["-m", "sandbox", "--port", "0", "--seed", "none"], True)
        url = f"http://127.0.0.1:{port}"
        try:
            pass_s, version_s, help_s = _interleaved(
                _process([sys.executable, "-c", "pass"], env),
                _process([*_elysiactl(), "--version"], env),
                _process([*_elysiactl(), "--help"], env))
            base, one_shot = _interleaved(
                _process([sys.executable, "-c", FLOOR], env),
                _process([*_elysiactl(), "--url", url, "-c", r"\ls"], env))
            connected: list[float] = []

            def first_prompt() -> float:
                first, named = _prompts(url, env)
                connected.append(named)
                return first

            prompt, floor, issue_floor, bare = _interleaved(
                first_prompt, lambda: _in_terminal(FLOOR, env),
                lambda: _in_terminal(ISSUE_FLOOR, env), lambda: _bare_prompt(env))
            connected_s = statistics.median(connected[1:])  # the warm-up round left out
            started = time.perf_counter()
            _fill(url)
            fill_s = time.perf_counter() - started
            ls_s, requests = _ls_verbose(url)
        finally:
            server.kill()
    checks = {"prompt": prompt / floor <= 1.2, "version": version_s / pass_s <= 3,
              "help": help_s / pass_s <= 3, "one_shot": one_shot / base <= 1.5,
              "ls": ls_s < 0.5 and requests <= 3}
    rows = [
        ("time to first prompt (in a pseudo-terminal), against the floor",
         _ms(prompt, floor), f"at most 1.2x: {verdict(checks['prompt'])}"),
        ("the same against the issue's floor (with rich)", _ms(prompt, issue_floor), "-"),
        ("time to the prompt naming the cluster (connected), against the floor",
         _ms(connected_s, floor), "-"),
        ("time to first prompt against a bare prompt_toolkit prompt with httpx loaded",
         _ms(prompt, bare), "-"),
        ("`elysiactl --version`, against `python -c pass`", _ms(version_s, pass_s),
         f"at most 3x: {verdict(checks['version'])}"),
        ("`elysiactl --help`, against `python -c pass`", _ms(help_s, pass_s),
         f"at most 3x: {verdict(checks['help'])}"),
        (r"`elysiactl -c '\ls'` wall time, against the floor", _ms(one_shot, base),
         f"at most 1.5x: {verdict(checks['one_shot'])}"),
        (rf"`\ls --verbose` over {COLLECTIONS:,} collections",
         f"{ls_s * 1000:.0f} ms, {requests} requests",
         f"under 500 ms, at most 3 requests: {verdict(checks['ls'])}"),
    ]
    return Section(
        "Shell responsiveness",
        f"Medians of {RUNS} interleaved runs against a sandbox in its own process, each "
        f"compared with a baseline run the same way in the same session. The floor is "
        f"`python -c \"{FLOOR}\"`, the libraries the REPL loads before its prompt (rich is "
        f"loaded on the first output): {base * 1000:.0f} ms as a subprocess, "
        f"{floor * 1000:.0f} ms in a pseudo-terminal (the issue's floor with rich: "
        f"{issue_floor * 1000:.0f} ms; a bare `PromptSession().prompt()` with httpx loaded: "
        f"{bare * 1000:.0f} ms, what any prompt_toolkit REPL pays for its key bindings, styles "
        f"and first render beyond the imports). `python -c pass`: {pass_s * 1000:.0f} ms. Children "
        f"run with their bytecode cached, as an installed package does. Creating the "
        f"{COLLECTIONS:,} collections took {fill_s:.1f} s (not counted).",
        ("measure", "result", "aim"), rows, all(checks.values()))
