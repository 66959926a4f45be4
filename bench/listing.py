"""``\\ls`` at scale (part ``listing``): the whole process against one that prints the same rows.

For 1,000 and 10,000 collections (seeded by ``bench.listing_server`` in a sandbox process of
its own), ``elysiactl --url URL -c '\\ls'`` and ``-c '\\ls --verbose'`` run as a user runs
them with the output going to a pipe, interleaved with the baseline
(``bench/listing_baseline.py``: the same three GETs with httpx, the same rows printed with
``str.ljust``). Before timing, both outputs are checked to hold the same rows, cell for cell.
A third row per size runs ``\\ls --verbose`` in a pseudo-terminal, where a table that big gets
the plain layout with rich's header styles. Below the table, the drawing alone, in process:
``shell.render`` on the rows of ``\\ls --verbose`` against ``str.ljust`` on the same cells.
``python -m bench --only listing`` updates the section.
"""

from __future__ import annotations

import io
import statistics
import subprocess
import sys
import tempfile
import time

import pexpect

from bench.listing_baseline import aligned
from bench.report import ROOT, Section, median_seconds, process_env, start_server, verdict
from commands.audit import MemoryAuditLog
from commands.context import Session
from commands.dispatch import Dispatcher
from commands.meta import MODULES
from commands.ops.connection import open_connection
from commands.registry import Registry
from shell.render import Renderer
from shell.streams import PIPE_WIDTH, PlainStream

SIZES = (1_000, 10_000)
RUNS = 7
AIM = 1.3
COMMANDS = ((r"\ls", ()), (r"\ls --verbose", ("--verbose",)))
TERMINAL = (50, 200)  # rows, columns: wide enough for \ls --verbose without folding


def _rows(text: str, after: str) -> list[list[str]]:
    """The data lines of a listing, as words: what follows the line starting with ``after``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(after)) + 1
    return [line.split() for line in lines[start:] if line.strip()]


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout


def _in_terminal(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Seconds until a process in a pseudo-terminal has written everything and exited."""
    started = time.perf_counter()
    child = pexpect.spawn(argv[0], argv[1:], cwd=str(ROOT), env=env, dimensions=TERMINAL,
                          maxread=1 << 16, timeout=300, encoding="utf-8")
    child.expect(pexpect.EOF)
    elapsed = time.perf_counter() - started
    child.close()
    if child.exitstatus != 0:
        raise RuntimeError(f"{argv} exited with {child.exitstatus}")
    return elapsed, child.before


def _measure(url: str, env: dict[str, str], line: str, flags: tuple[str, ...],
             terminal: bool) -> tuple[float, float]:
    """Median seconds of elysiactl and of the baseline, runs interleaved."""
    shell = [sys.executable, "-m", "shell", "--url", url, "-c", line]
    base = [sys.executable, str(ROOT / "bench" / "listing_baseline.py"), url, *flags]
    timed = _in_terminal if terminal else _timed
    _, shown = timed(shell, env)  # also warms the disk cache for both
    _, expected = timed(base, env)
    if not terminal and _rows(shown, "─") != _rows(expected, "name"):
        raise RuntimeError(f"{line}: elysiactl and the baseline print different rows")
    pairs = [(timed(shell, env)[0], timed(base, env)[0]) for _ in range(RUNS)]
    return statistics.median(s for s, _ in pairs), statistics.median(b for _, b in pairs)


def _drawing(url: str) -> tuple[float, float]:
    """In process, on the rows of one ``\\ls --verbose``: median seconds to draw its Table
    (shell.render, off a terminal) and to print the same cells with the baseline's
    ``str.ljust`` (None as empty, everything else ``str``)."""
    session = Session()
    session.connection = open_connection(url)
    outcome = Dispatcher(Registry.from_modules(MODULES), session, MemoryAuditLog()).execute(
        r"\ls --verbose", "bench")
    (table,) = outcome.results

    def draw() -> None:
        Renderer(PlainStream(file=io.StringIO(), width=PIPE_WIDTH),
                 PlainStream(stderr=True, file=io.StringIO())).render(outcome, "table")

    def plain() -> None:
        aligned([list(table.columns), *([("" if v is None else str(v)) for v in row]
                                        for row in table.rows)])

    return median_seconds(draw, RUNS), median_seconds(plain, RUNS)


def run(sizes: tuple[int, ...] = SIZES) -> Section:
    """Measure every size and command."""
    rows, met = [], True
    drawing: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as state:
        env = process_env(state)
        for size in sizes:
            server, port = start_server(["-m", "bench.listing_server", str(size)], False)
            try:
                drawing[size] = _drawing(f"http://127.0.0.1:{port}")
                for (line, flags), terminal in (*((c, False) for c in COMMANDS),
                                                (COMMANDS[1], True)):
                    shell_s, base_s = _measure(f"http://127.0.0.1:{port}", env, line, flags,
                                               terminal)
                    ratio = shell_s / base_s
                    met = met and ratio <= AIM
                    rows.append((f"`elysiactl -c '{line}'`, {size:,} collections, "
                                 + ("in a terminal" if terminal else "piped"),
                                 f"{shell_s * 1000:.0f} ms", f"{base_s * 1000:.0f} ms",
                                 f"{ratio:.2f}x", f"at most {AIM}x: {verdict(ratio <= AIM)}"))
            finally:
                server.kill()
                server.wait()
    return Section(
        "Listing collections at scale",
        f"Medians of {RUNS} interleaved runs against a sandbox in its own process (seeded "
        "directly: 2 properties per collection, a tenth multi-tenant, some with named "
        "vectors or PQ), output to a pipe or to a pseudo-terminal of "
        f"{TERMINAL[1]} columns (read to the end). The baseline is "
        "`bench/listing_baseline.py`: the same three GETs with httpx and the same rows "
        "(checked cell for cell before timing) printed with `str.ljust`.",
        ("command", "elysiactl", "baseline", "ratio", "aim"), rows, met,
        after="Drawing alone, in process, on the rows of `\\ls --verbose` (shell.render off a "
              "terminal, against `str.ljust` on the same cells): " + "; ".join(
                  f"{size:,} collections {ours * 1000:.0f} ms against {plain * 1000:.0f} ms"
                  for size, (ours, plain) in drawing.items()) + ".")
