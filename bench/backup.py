"""Backup and restore throughput, each against a minimal loop doing only its HTTP part.

The baselines read the same cursor pages (backup) and post the same batches with the same
parallelism (restore), so a ratio near 1 means the format, checksums, compression and
checkpoints cost little. Peak memory is the elysiactl process's maximum resident set,
measured for two collection sizes: flat memory means no growth between them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import orjson

from bench.report import ROOT, Section, start_server, verdict
from bench.sandbox_throughput import CLASS as NAME
from bench.sandbox_throughput import DIMS, batch_bodies, post_batches, read_pages
from commands.ops.backup_format import Manifest, read_chunk
from commands.ops.restore_transform import Transform

IMPORT_BATCH = 1000


def _fill(url: str, count: int) -> None:
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


def _timed_shell(url: str, state: str, command: str) -> tuple[float, float]:
    """Seconds and peak resident MB of one ``elysiactl -c COMMAND``."""
    env = {**os.environ, "XDG_STATE_HOME": state, "XDG_CONFIG_HOME": state,
           "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "shell", "--url", url, "-c", command],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    peak = 0.0
    while proc.poll() is None:  # VmHWM only grows: the last reading is the peak so far
        peak = max(peak, _peak_mb(proc.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise RuntimeError(f"{command} failed with exit code {proc.returncode}")
    return seconds, peak


def _read_loop(url: str, page: int) -> float:
    with httpx.Client(base_url=url, timeout=120) as http:
        return read_pages(http, page=page)[0]


def _post_loop(url: str, directory: Path, batch: int, parallel: int) -> float:
    manifest = Manifest.load(directory / f"{NAME}.json")
    lines = [line for chunk in manifest.chunks if chunk.kind == "objects"
             for line in read_chunk(directory, chunk, manifest.codec)]
    same = Transform(NAME)  # the batch objects \restore sends
    bodies = [orjson.dumps({"objects": [same.apply_object(o, None) for o in lines[i:i + batch]]})
              for i in range(0, len(lines), batch)]
    started = time.perf_counter()
    with httpx.Client(base_url=url, timeout=120) as http, ThreadPoolExecutor(parallel) as pool:
        list(pool.map(lambda b: http.post("/v1/batch/objects", content=b, headers={
            "Content-Type": "application/json"}).raise_for_status(), bodies))
    return time.perf_counter() - started


def run(small: int = 100_000, large: int = 1_000_000) -> list[Section]:
    """Throughput on ``small`` objects, memory on ``small`` and ``large``."""
    from commands.ops import backup as backup_ops
    from commands.ops import restore as restore_ops

    rows, memory = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for count in (small, large):
            server, port = start_server(["-m", "sandbox", "--port", "0", "--seed", "none"], True)
            url = f"http://127.0.0.1:{port}"
            try:
                _fill(url, count)
                out = Path(tmp) / f"b{count}"
                backup_s, backup_mb = _timed_shell(url, tmp, rf"\backup {NAME} --output {out}")
                httpx.delete(f"{url}/v1/schema/{NAME}").raise_for_status()
                restore_s, restore_mb = _timed_shell(url, tmp, rf"\restore {out}/{NAME}.json")
                memory[count] = (backup_mb, restore_mb)
                if count == small:
                    read_s = _read_loop(url, backup_ops.PAGE)
                    httpx.delete(f"{url}/v1/schema/{NAME}").raise_for_status()
                    httpx.post(f"{url}/v1/schema", json={"class": NAME})
                    post_s = _post_loop(url, out, restore_ops.BATCH_SIZE, restore_ops.PARALLEL)
                    rows += [("backup", backup_s, read_s, count, 1.0),
                             ("restore", restore_s, post_s, count, 2.0)]
                    codecs = _codecs(url, tmp, count)
            finally:
                server.kill()
                shutil.rmtree(Path(tmp) / f"b{count}", ignore_errors=True)
    throughput = Section(
        "Backup and restore",
        f"{small:,} objects with {DIMS}-dim vectors, elysiactl as a process against a sandbox "
        "in its own process. Baselines, measured in the same run: reading the same cursor "
        "pages (backup) and posting the same batches with the same parallelism (restore).",
        ("operation", "objects/s", "baseline objects/s", "ratio (aim >= 0.8)",
         "per 1,000 objects (seed target)"),
        [(name, f"{n / s:,.0f}", f"{n / b:,.0f}", f"{b / s:.2f}: {verdict(b / s >= 0.8)}",
          f"{1000 * s / n:.3f} s (under {target:g} s: {verdict(1000 * s / n < target)})")
         for name, s, b, n, target in rows],
        all(b / s >= 0.8 and 1000 * s / n < t for _, s, b, n, t in rows))
    peak = Section(
        "Backup and restore memory",
        "Peak resident memory of the elysiactl process (aim: under 200 MB and no growth "
        "between the sizes).",
        ("objects", "backup peak", "restore peak"),
        [(f"{count:,}", f"{b:.0f} MB", f"{r:.0f} MB") for count, (b, r) in memory.items()],
        all(b < 200 and r < 200 for b, r in memory.values()),
        "Compression of the same backup: " + "; ".join(codecs) + ".")
    return [throughput, peak]


def _codecs(url: str, tmp: str, count: int) -> list[str]:
    results = []
    for codec in ("none", "gzip", "zstd"):
        out = Path(tmp) / f"codec-{codec}"
        seconds, _ = _timed_shell(url, tmp, rf"\backup {NAME} --output {out} --compress={codec}")
        size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
        results.append(f"{codec} {size / 1e6:,.0f} MB in {seconds:.1f} s "
                       f"({count / seconds:,.0f} objects/s)")
        shutil.rmtree(out)
    return results
