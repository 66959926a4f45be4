"""``commands.ops.backup.heap.trim`` really gives freed heap memory back (on glibc)."""

from __future__ import annotations

from pathlib import Path

import pytest

from commands.ops.backup import heap


def _rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(heap._malloc_trim() is None, reason="needs glibc")
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
