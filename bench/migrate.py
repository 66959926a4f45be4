"""``\\migrate`` throughput against ``\\backup`` and ``\\restore`` measured in the same run,
and its peak memory at two collection sizes.

The source and the target are sandboxes in their own processes, each pinned to its own
core, as the backup reads from one server and the restore writes to one. A migration
both reads and writes, so its aim is to move objects at least 0.8 times as fast as the
slower of the two (it cannot beat either: every object is read once and written once).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from statistics import median

import httpx

from bench.backup import IMPORT_BATCH, NAME, drop, fill, shell_command, timed
from bench.report import Section, start_server, verdict
from bench.sandbox_throughput import batch_bodies, post_batches
from commands.ops.migrate.catchup import MARGIN_MS

RUNS = 3
# After the fill, the source's last write must be older than what the catch-up looks at (the
# copy's start, in the server's whole seconds, less MARGIN_MS): otherwise the last objects
# filled are copied twice and a final reconciliation runs, at one size and not the other.
QUIET = MARGIN_MS / 1000 + 1.5
WRITES = 20_000  # objects written while the larger migration copies (the busy row)


def _migrate(source: str, target: str, tmp: str) -> tuple[float, float]:
    """Seconds and peak MB of one ``\\migrate`` into an empty target (verify: counts)."""
    return timed(source, tmp, shell_command(rf"\migrate {NAME} --target {target} "
                                            "--verify count"))


def _busy(source: str, target: str, tmp: str) -> tuple[float, float]:
    """``_migrate`` while ``WRITES`` new objects are written to the source from its first
    second on: the catch-up copies them and a final reconciliation runs."""
    def write() -> None:
        time.sleep(1.0)
        with httpx.Client(base_url=source, timeout=120) as http:
            post_batches(http, batch_bodies(WRITES, IMPORT_BATCH, seed=7), check=False)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        return _migrate(source, target, tmp)
    finally:
        writer.join()


def _servers() -> tuple[list, str, str]:
    procs, urls = [], []
    for core in (0, 1):
        proc, port = start_server(["-m", "sandbox", "--port", "0", "--seed", "none"], True,
                                  core=core)
        procs.append(proc)
        urls.append(f"http://127.0.0.1:{port}")
    return procs, urls[0], urls[1]


def _empty(url: str) -> None:
    if httpx.get(f"{url}/v1/schema/{NAME}").status_code == 200:
        drop(url)


def run(small: int = 100_000, large: int = 1_000_000) -> list[Section]:
    """Throughput and memory at ``small`` objects, memory again at ``large`` (0: skipped)."""
    times: dict[str, list[float]] = {"backup": [], "restore": [], "migrate": []}
    load = [os.getloadavg()[0]]  # the machine's 1-minute load before and after the runs
    memory: dict[int, tuple[float, float]] = {}  # objects: (peak MB, seconds of one run)
    busy = (0.0, 0.0)  # the same at the larger size, with writes during the copy
    with tempfile.TemporaryDirectory() as tmp:
        for count in (small, large) if large else (small,):
            procs, source, target = _servers()
            out = Path(tmp) / "b"
            try:
                fill(source, count)
                time.sleep(QUIET)
                for _ in range(RUNS if count == small else 1):
                    if count == small:
                        shutil.rmtree(out, ignore_errors=True)
                        times["backup"].append(timed(source, tmp, shell_command(
                            rf"\backup {NAME} --output {out}"))[0])
                        _empty(target)
                        times["restore"].append(timed(target, tmp, shell_command(
                            rf"\restore {out}/{NAME}.json"))[0])
                    _empty(target)
                    seconds, peak = _migrate(source, target, tmp)
                    memory[count] = max(memory.get(count, (0.0, 0.0)), (peak, seconds))
                    if count == small:
                        times["migrate"].append(seconds)
                if count == large:
                    _empty(target)
                    busy = _busy(source, target, tmp)
            finally:
                for proc in procs:
                    proc.kill()
                shutil.rmtree(out, ignore_errors=True)
            if count == small:
                load.append(os.getloadavg()[0])
    return [_throughput(small, times, load), _memory(memory, busy)]


def _throughput(count: int, times: dict[str, list[float]], load: list[float]) -> Section:
    rate = {name: count / median(seconds) for name, seconds in times.items()}
    slower = min(rate["backup"], rate["restore"])
    ratio = rate["migrate"] / slower
    runs = "; ".join(f"{name} " + " / ".join(f"{s:.2f}" for s in seconds)
                     for name, seconds in times.items())
    return Section(
        "Migrate",
        f"{count:,} objects with 128-dim vectors from one sandbox to another (each in its own "
        f"process on its own core), elysiactl as a process; medians of {RUNS} runs. Each run "
        "backs the source up, restores the backup into the empty target, empties it again "
        "and migrates into it (`--verify count`; the catch-up, a rescan of the source "
        "without vectors merge-joined with the target's ids, finds nothing written during "
        "the copy, so no final reconciliation runs), so the three are measured together.",
        ("operation", "objects/s", "ratio to min(backup, restore) (aim >= 0.8)"),
        [("migrate", f"{rate['migrate']:,.0f}", f"{ratio:.2f}: {verdict(ratio >= 0.8)}"),
         ("backup", f"{rate['backup']:,.0f}", ""), ("restore", f"{rate['restore']:,.0f}", "")],
        ratio >= 0.8, f"Every run, in seconds: {runs}. The machine's 1-minute load average "
        f"before and after the runs: {load[0]:.1f} and {load[-1]:.1f} ({os.cpu_count()} cores; "
        "a migration keeps three processes busy, a backup or a restore two).")


def _memory(memory: dict[int, tuple[float, float]], busy: tuple[float, float]) -> Section:
    sizes = sorted(memory)
    peak = {n: memory[n][0] for n in sizes}
    rows = [(f"{n:,}", f"{peak[n]:.0f} MB", f"{memory[n][1]:.1f} ({n / memory[n][1]:,.0f}/s)")
            for n in sizes]
    flat = len(sizes) < 2 or peak[sizes[-1]] <= 1.1 * peak[sizes[0]]
    growth = f"Growth from {sizes[0]:,} to {sizes[-1]:,} objects: " \
        f"{peak[sizes[-1]] - peak[sizes[0]]:+.0f} MB ({verdict(flat)})." if len(sizes) > 1 \
        else "Only one size was measured (`python -m bench --migrate-large 0` skips the second)."
    if busy[1]:
        rows.append((f"{sizes[-1]:,}, {WRITES:,} written during the copy", f"{busy[0]:.0f} MB",
                     f"{busy[1]:.1f}"))
        growth += f" With writes during the copy (its catch-up copies them and a final " \
            f"reconciliation runs): {busy[0] - peak[sizes[-1]]:+.0f} MB against the same size " \
            "without."
    return Section(
        "Migrate memory",
        "Peak resident memory of the elysiactl process running `\\migrate` (aim: under 150 MB, "
        "and at most 10% more at the larger size). Each migration starts once the source has "
        "been quiet for longer than the catch-up looks back, so both sizes do the same work; "
        f"the last row adds {WRITES:,} objects written to the source from the copy's first "
        "second.",
        ("objects", "migrate peak", "seconds (objects/s)"), rows,
        flat and all(mb < 150 for mb in [*peak.values(), busy[0]]), growth)
