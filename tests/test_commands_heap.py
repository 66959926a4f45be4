"""``commands.ops.backup.heap`` really changes how glibc keeps memory: ``trim`` gives freed heap
memory back, ``prepare_for_bulk`` shares one arena and maps big blocks apart."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from commands.ops.backup import heap


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(heap._libc() is None, reason="needs glibc")
def test_trim_returns_the_free_pages_a_fragmented_heap_keeps() -> None:
    # 64 MB of 2 KB blocks (malloc'd, not pymalloc'd), every 64th kept: glibc cannot
    # shrink the heap past the survivors, so the free pages stay resident until trimmed.
    blocks = [bytearray(2048) for _ in range(32 * 1024)]
    survivors = blocks[::64]
    del blocks
    before = _rss_kb()
    heap.trim()
    assert before - _rss_kb() > 32 * 1024  # more than half of the 64 MB came back
    assert all(len(b) == 2048 for b in survivors)


ARENAS = r"""
import ctypes, sys, tempfile, threading
from commands.ops.backup import heap

if sys.argv[1] == "bulk":
    heap.prepare_for_bulk()
work = threading.Thread(target=lambda: [bytes(300_000) for _ in range(10)])
work.start()
work.join()
libc = ctypes.CDLL("libc.so.6")
libc.fopen.restype = ctypes.c_void_p
with tempfile.NamedTemporaryFile("rb") as out:
    stream = libc.fopen(out.name.encode(), b"w")
    libc.malloc_info(0, ctypes.c_void_p(stream))
    libc.fclose(ctypes.c_void_p(stream))
    print(out.read().count(b"<heap nr="))
"""


# Whether a 1 MB block allocated after a 4 MB one was freed is mapped apart (1) or not (0):
# the change in mallinfo2's count of mapped blocks.
MAPPED = r"""
import ctypes, sys
from commands.ops.backup import heap

class MallInfo2(ctypes.Structure):
    _fields_ = [(name, ctypes.c_size_t) for name in (
        "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks", "fsmblks", "uordblks",
        "fordblks", "keepcost")]

if sys.argv[1] == "bulk":
    heap.prepare_for_bulk()
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = MallInfo2
big = bytearray(4 << 20)
del big
before = libc.mallinfo2().hblks
block = bytearray(1 << 20)
print(libc.mallinfo2().hblks - before)
"""


def _run(script: str, mode: str) -> int:
    """What ``script`` prints, run in a fresh process in ``mode`` (``default`` or ``bulk``)."""
    done = subprocess.run([sys.executable, "-c", script, mode], capture_output=True,
                          text=True, check=True, cwd=Path(__file__).resolve().parents[1])
    return int(done.stdout)


@pytest.mark.skipif(heap._libc() is None, reason="needs glibc")
def test_threads_started_after_prepare_for_bulk_allocate_from_the_main_arena() -> None:
    assert _run(ARENAS, "default") == 2  # glibc's default: the thread got an arena of its own
    assert _run(ARENAS, "bulk") == 1


@pytest.mark.skipif(heap._libc() is None, reason="needs glibc")
def test_after_prepare_for_bulk_big_blocks_stay_mapped_apart() -> None:
    assert _run(MAPPED, "default") == 0  # glibc raised its threshold to 4 MB when freed
    assert _run(MAPPED, "bulk") == 1
