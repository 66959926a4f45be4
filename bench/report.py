"""Shared pieces of the benchmarks: timing, servers in subprocesses, and the report file."""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Section:
    """One heading of docs/benchmarks.md: an intro, a table of formatted cells, a verdict."""

    title: str
    intro: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    met: bool
    after: str = ""


def pin(core: int) -> None:
    """Pin this process (or a child, from preexec_fn) to one core when there are several."""
    if hasattr(os, "sched_setaffinity") and (os.cpu_count() or 1) > 1:
        os.sched_setaffinity(0, {core})


def start_server(args: list[str], banner_on_stderr: bool,
                 core: int = 0) -> tuple[subprocess.Popen, int]:
    """Start ``python ARGS`` pinned to ``core`` and read its port from its first line."""
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=lambda: pin(core))
    line = (proc.stderr if banner_on_stderr else proc.stdout).readline()
    match = re.search(r":(\d+) with|^(\d+)$", line.strip())
    if not match:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return proc, int(match.group(1) or match.group(2))


def median_seconds(action: Callable[[], object], runs: int) -> float:
    """Median wall time of ``runs`` calls."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def _machine() -> list[str]:
    cpu = next((line.split(":", 1)[1].strip() for line in
                Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return [f"- date: {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
            f"- machine: {cpu}, {os.cpu_count()} cores, {platform.system()} "
            f"{platform.release()}", f"- python: {platform.python_version()}"]


def _section_lines(section: Section) -> list[str]:
    lines = [f"## {section.title}", "", section.intro, "",
             "| " + " | ".join(section.columns) + " |",
             "| " + " | ".join("---" for _ in section.columns) + " |"]
    lines += ["| " + " | ".join(row) + " |" for row in section.rows]
    return lines + (["", section.after, ""] if section.after else [""])


def write(path: Path, sections: list[Section]) -> None:
    """Write the report with the machine and the date."""
    lines = ["# Benchmarks", "", "Written by `make bench` (`python -m bench`); rerun to refresh.",
             "", *_machine(), ""]
    for section in sections:
        lines += _section_lines(section)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def update(path: Path, sections: list[Section]) -> None:
    """Replace (or append) only these sections of an existing report (``--only``); each
    says when and where it was measured, as the rest of the file keeps its own run."""
    if not path.exists():
        write(path, sections)
        return
    text = path.read_text()
    for section in sections:
        when = "Measured alone (`python -m bench --only`): " + "; ".join(
            line.removeprefix("- ") for line in _machine()) + "."
        block = "\n".join(_section_lines(Section(
            section.title, f"{section.intro}\n\n{when}", section.columns, section.rows,
            section.met, section.after)))
        start = text.find(f"## {section.title}\n")
        if start < 0:
            text = text.rstrip("\n") + "\n\n" + block
            continue
        end = text.find("\n## ", start + 1)
        text = text[:start] + block + ("\n" + text[end + 1:] if end >= 0 else "")
    path.write_text(text)


def process_env(state: str) -> dict[str, str]:
    """The environment of an elysiactl process under measurement: its own state and config
    directories under ``state``, and bytecode cached as an installed package has it (in
    ``state``), even where ``PYTHONDONTWRITEBYTECODE`` is set for the session, which would
    compile the project from source on every start."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "XDG_STATE_HOME": state, "XDG_CONFIG_HOME": state,
            "PYTHONPYCACHEPREFIX": os.path.join(state, "pycache"),
            "PROMPT_TOOLKIT_NO_CPR": "1", "PYTHONPATH": str(ROOT)}


def create_collections(url: str, bodies: list[dict[str, Any]], connections: int = 4) -> float:
    """``POST /v1/schema`` every class body, ``connections`` at a time; the seconds it took."""
    def create(part: list[dict[str, Any]]) -> None:
        with httpx.Client(base_url=url, timeout=120) as http:
            for body in part:
                http.post("/v1/schema", json=body).raise_for_status()

    started = time.perf_counter()
    with ThreadPoolExecutor(connections) as pool:
        list(pool.map(create, [bodies[i::connections] for i in range(connections)]))
    return time.perf_counter() - started
