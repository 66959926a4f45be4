"""The audit log's hash chain, and reading its lines whatever they hold.

Each entry carries ``seq`` (1, 2, 3, ...) and ``prev``: the sha256 of the line before it
as stored, newline included (null for the first line of a file). Deleting, editing,
inserting or moving a line breaks the link of the line after it; ``verify`` walks the
file once and names the first broken link. Lines written before the chain existed (no
``seq``) are kept as they are: the chain begins at the first entry that has one, and its
``prev`` still pins the line before it.

A line is read as bytes: one that is not UTF-8, not JSON, not an object or longer than
``LINE_LIMIT`` is unreadable, reported and skipped, and still hashed.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, BinaryIO

LINE_LIMIT = 1 << 20
"""Bytes of one line that are parsed (an entry is well under 1 KiB; a longer line is unreadable)."""
_BLOCK = 1 << 16


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the log: its number (from 1), hash, entry (None: unreadable) and why."""

    number: int
    digest: str
    entry: dict[str, Any] | None
    problem: str | None = None
    complete: bool = True
    """False for a last line without its newline: a cut write or a truncated file."""


def parse(raw: bytes) -> tuple[dict[str, Any] | None, str | None]:
    """The entry a line (without its newline) holds, or None and why it is unreadable."""
    try:
        value = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not UTF-8"
    except (ValueError, RecursionError):
        return None, "not JSON"
    if not isinstance(value, dict):
        return None, "not a JSON object"
    return value, None


def seq_of(entry: dict[str, Any] | None) -> int | None:
    """An entry's sequence number, or None when it has none (or not a whole number >= 1)."""
    seq = entry.get("seq") if entry else None
    return seq if type(seq) is int and seq >= 1 else None


def read_lines(stream: BinaryIO) -> Iterator[Line]:
    """Every line of a binary stream, oldest first; memory stays within ``LINE_LIMIT``."""
    number = 0
    while part := stream.readline(LINE_LIMIT + 1):
        number += 1
        digest, body = hashlib.sha256(part), part
        too_long = len(part) > LINE_LIMIT and not part.endswith(b"\n")
        while part and not part.endswith(b"\n") and too_long:
            part = stream.readline(_BLOCK)  # hashed, never held
            digest.update(part)
        complete = part.endswith(b"\n")
        if not complete:
            entry, problem = None, "torn: no newline at the end of the file"
        elif too_long:
            entry, problem = None, f"longer than {LINE_LIMIT} bytes"
        else:
            entry, problem = parse(body.rstrip(b"\n"))
        yield Line(number, digest.hexdigest(), entry, problem, complete)


def next_link(fd: int, size: int) -> tuple[int, str | None]:
    """The ``seq`` and ``prev`` of the entry to append to a file of ``size`` bytes that ends
    with a newline: the last line's hash and one more than the last ``seq`` found (1 when
    none is). Reads from the tail, so an append costs the same at any file size."""
    if size == 0:
        return 1, None
    prev: str | None = None
    end = size
    for start in _line_starts_backwards(fd, size):
        if prev is None:
            prev = _hash_span(fd, start, end)
        if end - start <= LINE_LIMIT + 1:
            seq = seq_of(parse(os.pread(fd, end - start, start).rstrip(b"\n"))[0])
            if seq is not None:
                return seq + 1, prev
        end = start
    return 1, prev


def _line_starts_backwards(fd: int, size: int) -> Iterator[int]:
    """Where each line starts, last line first, reading blocks from the end."""
    pos = size - 1  # the last line's own newline is not a line start
    while pos > 0:
        low = max(0, pos - _BLOCK)
        chunk = os.pread(fd, pos - low, low)
        cut = len(chunk)
        while (cut := chunk.rfind(b"\n", 0, cut)) >= 0:
            yield low + cut + 1
        pos = low
    yield 0


def _hash_span(fd: int, start: int, end: int) -> str:
    digest = hashlib.sha256()
    while start < end:
        chunk = os.pread(fd, min(_BLOCK, end - start), start)
        if not chunk:
            break
        digest.update(chunk)
        start += len(chunk)
    return digest.hexdigest()


@dataclass
class ChainReport:
    """What ``verify`` found: the chain's extent and its first broken link, if any."""

    path: str
    lines: int = 0
    entries: int = 0
    before_chain: int = 0
    """Lines before the first entry with a ``seq`` (written before the chain existed)."""
    chain_begins: int | None = None
    first_seq: int | None = None
    last_seq: int | None = None
    head: str | None = None
    """The hash of the last line: what the next entry's ``prev`` will be."""
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return not self.problems

    def fields(self) -> dict[str, Any]:
        """The report as a Record's fields (also the JSON/YAML output)."""
        first = self.problems[0] if self.problems else (None, None)
        return {"file": self.path, "verdict": "intact" if self.intact else "broken",
                "entries": self.entries, "first_seq": self.first_seq,
                "last_seq": self.last_seq, "chain_begins_at_line": self.chain_begins,
                "lines_before_chain": self.before_chain, "lines": self.lines,
                "head": self.head, "broken_at_line": first[0], "problem": first[1],
                "problems": len(self.problems)}


def verify(stream: BinaryIO, path: str, head: str | None = None) -> ChainReport:
    """Walk the chain of one log file; every problem is recorded and the walk goes on from
    the line that showed it, so one edit is one problem, not every line after it.

    ``head``, the hash of the last line an earlier walk saw, must still be in the file:
    entries cut from the tail at a line boundary leave no other trace."""
    report = ChainReport(path)
    held = head is None
    expected: int | None = None  # the next seq; None until the chain begins
    prev: str | None = None
    broken = False  # the line before was reported: its successor cannot pin it again
    for line in read_lines(stream):
        report.lines = line.number
        seq = seq_of(line.entry)
        problem = _problem(line, seq, expected, None if broken else prev)
        broken = problem is not None and (expected is not None or seq is not None)
        if problem is not None and broken:
            report.problems.append(problem)
        elif expected is None and seq is None:
            report.before_chain += 1
        if seq is not None:
            if expected is None:
                report.chain_begins, report.first_seq = line.number, seq
            report.entries += 1
            report.last_seq, expected = seq, seq + 1
        prev = line.digest
        held = held or prev == head
    report.head = prev
    if not held:
        report.problems.append((report.lines + 1, f"no line has the head hash {head}: the "
                                "entries up to it were cut from the tail, or the log rewritten"))
    return report


def _problem(line: Line, seq: int | None, expected: int | None,
             prev: str | None) -> tuple[int, str] | None:
    """Where the chain breaks at this line and why, as a sentence (None: it holds): this
    line, or the one before when this one holds another hash of it. ``prev`` is not checked
    when it is None after the first line."""
    n = line.number
    if not line.complete:
        return n, (f"line {n} is torn (no newline at the end of the file): the log was cut "
                   "in the middle of an entry")
    if line.entry is None:
        return n, f"line {n} is unreadable ({line.problem}): changed or cut after it was written"
    if seq is None:
        return n, (f"line {n} has no sequence number: inserted, or appended by an elysiactl "
                   "without the chain")
    if expected is None:
        if seq != 1:
            return n, (f"the chain begins at line {n} with seq {seq}: {_missing(1, seq)} "
                       "(deleted from the head of the log)")
    elif seq > expected:
        return n, (f"line {n} has seq {seq} after seq {expected - 1}: "
                   f"{_missing(expected, seq)} here (deleted or moved)")
    elif seq < expected:
        return n, (f"line {n} has seq {seq} after seq {expected - 1}: a line inserted, "
                   "copied or moved")
    if (prev is not None or n == 1) and line.entry.get("prev") != prev:
        if n == 1:
            return 1, f"line 1 (seq {seq}) names a previous line the file does not hold"
        return n - 1, (f"line {n - 1} was changed after it was written: line {n} (seq {seq}) "
                       "holds another hash of it (or a line between them was removed)")
    return None


def _missing(first: int, after: int) -> str:
    """``entry 3 is missing`` or ``entries 3 to 5 are missing``: ``first`` up to ``after``."""
    if after == first + 1:
        return f"entry {first} is missing"
    return f"entries {first} to {after - 1} are missing"
