"""Backup and restore throughput, each against a minimal loop doing only its HTTP part.

The baselines read the same cursor pages (backup) and post the same batches with the same
parallelism (restore), so a ratio near 1 means the format, checksums, compression and
checkpoints cost little. Peak memory is the elysiactl process's maximum resident set,
measured for two collection sizes: flat memory means no growth between them.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from statistics import median

import httpx
import msgspec

from bench.cursor import CLASS as NAME
from bench.cursor import read_pages
from bench.report import ROOT, Section, process_env, start_server, verdict
from bench.sandbox_throughput import DIMS, batch_bodies, post_batches
from commands.ops.backup.format import Manifest, read_chunk
from commands.ops.backup.transform import Transform

IMPORT_BATCH = 1000
RUNS = 3


def fill(url: str, count: int) -> None:
    with httpx.Client(base_url=url, timeout=120) as http:
        http.post("/v1/schema", json={"class": NAME, "properties": [
            {"name": "title", "dataType": ["text"]}, {"name": "n", "dataType": ["int"]}]})
        post_batches(http, batch_bodies(count, IMPORT_BATCH, seed=3), check=False)


def _peak_mb(pid: int) -> float:
    """The process's own high-water mark. (``ru_maxrss`` of a child would survive exec and
    include the memory of this big benchmark process at fork time.)"""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def timed(url: str, state: str, args: list[str]) -> tuple[float, float]:
    """Seconds and peak resident MB of one ``python ARGS`` (``{url}`` in ARGS filled in)."""
    env = process_env(state)
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *(a.replace("{url}", url) for a in args)],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    peak = 0.0
    while proc.poll() is None:  # VmHWM only grows: the last reading is the peak so far
        peak = max(peak, _peak_mb(proc.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{args} failed with exit code {proc.returncode}")
    return seconds, peak


def shell_command(command: str) -> list[str]:
    return ["-m", "shell", "--url", "{url}", "-c", command]


def _post_loop(url: str, directory: Path, batch: int, parallel: int) -> float:
    manifest = Manifest.load(directory / f"{NAME}.json")
    lines = [line for chunk in manifest.chunks if chunk.kind == "objects"
             for line in read_chunk(directory, chunk, manifest.codec)]
    same = Transform(NAME)  # the batch objects \restore sends
    bodies = [msgspec.json.encode({"objects": [same.apply_object(o, None)
                                               for o in lines[i:i + batch]]})
              for i in range(0, len(lines), batch)]
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=120) as http, ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda b: http.post("/v1/batch/objects", content=b, headers={
            "Content-Type": "application/json"}).raise_for_status(), bodies))
    return time.perf_counter() - started


def drop(url: str, recreate: bool = False) -> None:
    httpx.delete(f"{url}/v1/schema/{NAME}").raise_for_status()
    if recreate:
        httpx.post(f"{url}/v1/schema", json={"class": NAME}).raise_for_status()


def _throughput(url: str, tmp: str, out: Path) -> tuple[list[float], ...]:
    """``RUNS`` runs of each operation, each followed by its baselines: seconds of the
    backup, the cursor loop as a process and inside this one, the restore, and the
    in-process post loop."""
    from commands.ops.backup import restore as restore_ops
    from commands.ops.backup import run as backup_ops

    backup, read, read_here, restore, post = [], [], [], [], []
    for _ in range(RUNS):
        shutil.rmtree(out, ignore_errors=True)
        backup.append(timed(url, tmp, shell_command(rf"\backup {NAME} --output {out}"))[0])
        read.append(timed(url, tmp, ["-m", "bench.cursor", "{url}", str(backup_ops.PAGE)])[0])
        with httpx.Client(base_url=url, timeout=120) as http:
            read_here.append(read_pages(http, page=backup_ops.PAGE)[0])
    for _ in range(RUNS):
        drop(url)
        restore.append(timed(url, tmp, shell_command(rf"\restore {out}/{NAME}.json"))[0])
        drop(url, recreate=True)
        post.append(_post_loop(url, out, restore_ops.BATCH_SIZE, restore_ops.PARALLEL))
    return backup, read, read_here, restore, post


def run(small: int = 100_000, large: int = 1_000_000) -> list[Section]:
    """Throughput on ``small`` objects, memory on ``small`` and ``large``."""
    memory: dict[int, tuple[float, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (small, large):
            server, port = start_server(["-m", "sandbox", "--port", "0", "--seed", "none"], True)
            url, out = f"http://127.0.0.1:{port}", Path(tmp) / f"b{count}"
            try:
                fill(url, count)
                backup_mb = timed(url, tmp, shell_command(rf"\backup {NAME} --output {out}"))[1]
                drop(url)
                restore_mb = timed(url, tmp, shell_command(rf"\restore {out}/{NAME}.json"))[1]
                memory[count] = (backup_mb, restore_mb)
                if count == small:
                    times = _throughput(url, tmp, out)
                    codecs = _codecs(url, tmp, count)
            finally:
                server.kill()
                shutil.rmtree(out, ignore_errors=True)
    return [_throughput_section(small, *times),
            _memory_section(small, large, memory, codecs)]


def _throughput_section(count: int, backup: list[float], read: list[float],
                        read_here: list[float], restore: list[float],
                        post: list[float]) -> Section:
    rows = [("backup", median(backup), median(read), 1.0),
            ("restore", median(restore), median(post), 2.0)]
    return Section(
        "Backup and restore",
        f"{count:,} objects with {DIMS}-dim vectors, elysiactl as a process against a sandbox "
        f"in its own process; medians of {RUNS} runs, each followed by its baseline. The "
        "backup's baseline is a minimal program that reads the same cursor pages "
        "(`python -m bench.cursor`), timed as a process like elysiactl. The restore's is "
        "stricter: posting the same batches with the same parallelism from inside this "
        "process, the bodies encoded beforehand (no start-up, no reading, no encoding).",
        ("operation", "objects/s", "baseline objects/s", "ratio (aim >= 0.8)",
         "per 1,000 objects (seed target)"),
        [(name, f"{count / s:,.0f}", f"{count / b:,.0f}", f"{b / s:.2f}: {verdict(b / s >= 0.8)}",
          f"{1000 * s / count:.3f} s (under {target:g} s: {verdict(1000 * s / count < target)})")
         for name, s, b, target in rows],
        all(b / s >= 0.8 and 1000 * s / count < t for _, s, b, t in rows),
        f"Every run, in seconds: backup {_runs(backup)}, cursor loop {_runs(read)}; restore "
        f"{_runs(restore)}, post loop {_runs(post)}. The same cursor loop inside this "
        f"process (no start-up): {_runs(read_here)}, so the backup, start-up included, runs "
        f"at {median(read_here) / median(backup):.2f} of it.")


def _memory_section(small: int, large: int, memory: dict[int, tuple[float, float]],
                    codecs: list[str]) -> Section:
    (small_b, small_r), (large_b, large_r) = memory[small], memory[large]
    flat = large_b <= 1.1 * small_b and large_r <= 1.1 * small_r
    return Section(
        "Backup and restore memory",
        "Peak resident memory of the elysiactl process (aim: under 200 MB, and no growth "
        "between the sizes, read as: the larger at most 10% above the smaller).",
        ("objects", "backup peak", "restore peak"),
        [(f"{count:,}", f"{b:.0f} MB", f"{r:.0f} MB") for count, (b, r) in memory.items()],
        flat and all(b < 200 and r < 200 for b, r in memory.values()),
        f"Growth from {small:,} to {large:,} objects: backup {large_b - small_b:+.0f} MB, "
        f"restore {large_r - small_r:+.0f} MB ({verdict(flat)}). Compression of the same "
        "backup: " + "; ".join(codecs) + ".")


def _runs(seconds: list[float]) -> str:
    return " / ".join(f"{s:.2f}" for s in seconds)


def _codecs(url: str, tmp: str, count: int) -> list[str]:
    results = []
    for codec in ("none", "gzip", "zstd"):
        out = Path(tmp) / f"codec-{codec}"
        seconds, _ = timed(url, tmp, shell_command(
            rf"\backup {NAME} --output {out} --compress={codec}"))
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        results.append(f"{codec} {size / 1e6:,.0f} MB in {seconds:.1f} s "
                       f"({count / seconds:,.0f} objects/s)")
        shutil.rmtree(out)
    return results
