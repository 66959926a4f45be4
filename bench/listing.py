"""``\\ls`` at scale (part ``listing``): the whole process against one that prints the same rows.

For 1,000 and 10,000 collections (seeded by ``bench.listing_server`` in a sandbox process of
its own), ``elysiactl --url URL -c '\\ls'`` and ``-c '\\ls --verbose'`` run as a user runs
them with the output going to a pipe, interleaved with the baseline
(``bench/listing_baseline.py``: the same three GETs with httpx, the same rows printed with
``str.ljust``). Before timing, both outputs are checked to hold the same rows, cell for cell.
``python -m bench --only listing`` updates the section.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time

from bench.report import ROOT, Section, start_server, verdict
from bench.shell import _env

SIZES = (1_000, 10_000)
RUNS = 7
AIM = 1.3
COMMANDS = ((r"\ls", ()), (r"\ls --verbose", ("--verbose",)))


def _rows(text: str, after: str) -> list[list[str]]:
    """The data lines of a listing, as words: what follows the line starting with ``after``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(after)) + 1
    return [line.split() for line in lines[start:] if line.strip()]


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout


def _measure(url: str, env: dict[str, str], line: str,
             flags: tuple[str, ...]) -> tuple[float, float]:
    """Median seconds of elysiactl and of the baseline, runs interleaved."""
    shell = [sys.executable, "-m", "shell", "--url", url, "-c", line]
    base = [sys.executable, str(ROOT / "bench" / "listing_baseline.py"), url, *flags]
    _, shown = _timed(shell, env)  # also warms the disk cache for both
    _, expected = _timed(base, env)
    if _rows(shown, "─") != _rows(expected, "name"):
        raise RuntimeError(f"{line}: elysiactl and the baseline print different rows")
    pairs = [(_timed(shell, env)[0], _timed(base, env)[0]) for _ in range(RUNS)]
    return statistics.median(s for s, _ in pairs), statistics.median(b for _, b in pairs)


def run(sizes: tuple[int, ...] = SIZES) -> Section:
    """Measure every size and command."""
    rows, met = [], True
    with tempfile.TemporaryDirectory() as state:
        env = _env(state)
        for size in sizes:
            server, port = start_server(["-m", "bench.listing_server", str(size)], False)
            try:
                for line, flags in COMMANDS:
                    shell_s, base_s = _measure(f"http://127.0.0.1:{port}", env, line, flags)
                    ratio = shell_s / base_s
                    met = met and ratio <= AIM
                    rows.append((f"`elysiactl -c '{line}'`, {size:,} collections",
                                 f"{shell_s * 1000:.0f} ms", f"{base_s * 1000:.0f} ms",
                                 f"{ratio:.2f}x", f"at most {AIM}x: {verdict(ratio <= AIM)}"))
            finally:
                server.kill()
                server.wait()
    return Section(
        "Listing collections at scale",
        f"Medians of {RUNS} interleaved runs, output to a pipe, against a sandbox in its own "
        "process (seeded directly: 2 properties per collection, a tenth multi-tenant, some "
        "with named vectors or PQ). The baseline is `bench/listing_baseline.py`: the same "
        "three GETs with httpx and the same rows (checked cell for cell before timing) "
        "printed with `str.ljust`.",
        ("command", "elysiactl", "baseline", "ratio", "aim"), rows, met)
