"""Keeping a long operation's heap small: one malloc arena for all its threads, big buffers
mapped apart, and freed memory given back to the system.

glibc gives every thread that allocates its own arena (up to eight per core). A migration
reads cursor pages on one thread and posts batches on four others, so each arena held its
own freed page and batch buffers (a few MB each, dynamic trim threshold) besides the 15 MB
in use: a statistical high-water mark that rose with the length of the run (peak 60 MB
over 100,000 objects, 66-74 MB over 1,000,000). Python allocates under the GIL, so the
threads gain nothing from separate arenas; ``prepare_for_bulk`` makes the threads started
after it use the main one, where one thread's freed buffers serve the next.

glibc maps a block of at least 128 KB apart (mmap) and unmaps it when freed, but raises
that threshold to the size of every mapped block freed, so after the first cursor page the
page, batch and response buffers (1 to 3 MB) all came from the heap, and a freed one stayed
resident until the next trim: a migration's peak still rose with its length (54 MB over
100,000 objects, 57-60 over 1,000,000). ``prepare_for_bulk`` also fixes the threshold at
128 KB (setting it turns the raising off): the big buffers go back at once (peaks 53-55
and 54-55 MB, at the same throughput).

glibc also keeps what Python frees in its heaps and returns memory only from a heap's top.
A restore allocates and frees the objects of thousands of batches on several threads, and
its resident size crept up by fragmentation (from 108 MB to 147 MB over 1,000,000 objects)
although what it held stayed the same. ``trim`` asks glibc to return every free page
(``malloc_trim``), and ``tidy``, called as often as a loop likes, does so every
``TIDY_EVERY`` seconds. Where there is no glibc they do nothing.
"""

from __future__ import annotations

import ctypes
import sys
import time
from functools import cache

M_MMAP_THRESHOLD = -3  # mallopt's parameters (malloc.h)
M_ARENA_MAX = -8
MMAP_THRESHOLD = 128 * 1024  # glibc's own starting value
# Seconds between trims by ``tidy`` (each takes about a millisecond): a copy frees some 20 to
# 40 MB of page and batch buffers a second, and a catch-up reading ids only frees a 0.9 MB
# page body every few ms. Every 0.5 s, the peak of a 1,000,000-object migration was 58-62 MB
# against 56-58 over 100,000; every 0.2 s, 57 against 55.
TIDY_EVERY = 0.2
_trimmed = 0.0  # when ``trim`` last ran (time.monotonic)


@cache
def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def trim() -> None:
    """Return the process's free heap pages to the system (glibc only; a few ms)."""
    global _trimmed
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
    _trimmed = time.monotonic()


def tidy() -> None:
    """``trim``, unless it ran in the last ``TIDY_EVERY`` seconds."""
    if time.monotonic() - _trimmed >= TIDY_EVERY:
        trim()


@cache
def prepare_for_bulk() -> None:
    """Threads that first allocate after this call share the main arena, and blocks of
    ``MMAP_THRESHOLD`` or more are mapped apart (glibc only; once per process: threads
    that allocated before keep their arenas)."""
    libc = _libc()
    if libc is not None:
        libc.mallopt(M_ARENA_MAX, 1)
        libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD)
