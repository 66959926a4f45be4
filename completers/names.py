"""Name lookups whose cost follows the matches, not the cluster: ``NameIndex`` and ``scan``.

A lookup ranks names in two tiers: names that start with what was typed (ignoring case), then
names with a later word that does (``prod`` finds ``ArticleProduct``: camelCase, digits,
``_``, ``-``, ``.`` and ``:`` start words). ``NameIndex`` sorts the names and their later
words once, so a lookup is two binary searches plus the matches it hands out; ``scan`` ranks
a short list (one collection's properties) in its own order by looking at every name.
Both answer a ``Found``: the names best first, lazily, and how many there are in all.
"""

from __future__ import annotations

import bisect
import os
import re
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass

__all__ = ["Found", "NameIndex", "scan"]

# Where a later word starts: a capital after a small letter or digit, the last capital of a
# run followed by a small letter (HTTPServer), a digit run after a letter, a letter after a
# digit, anything after a separator.
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])"
                   r"|(?<=[0-9])(?=[A-Za-z])|(?<=[_\-.:/ ])(?=[^_\-.:/ ])")
_LAST = "\U0010ffff"  # sorts after every character: the end of a prefix range


def _word_starts(name: str) -> list[int]:
    """Where the words of ``name`` after the first begin."""
    return [m.start() for m in _WORD.finditer(name) if m.start() > 0]


@dataclass(frozen=True, slots=True)
class Found:
    """The names a lookup matched, best first (lazily, each with its text), and how many
    in all.

    ``common`` is the longest start every match shares (spelled as the first match spells
    it) when all of them start with the query, else ``""``: a cut list can still extend
    what was typed by it.
    """

    names: Iterator[tuple[str, str]]
    total: int
    common: str = ""


def _common(first: str, last: str, spelled: str) -> str:
    return spelled[:len(os.path.commonprefix([first, last]))]


class NameIndex(Mapping[str, str]):
    """Names (each with a short text: a status, a target) sorted once for ``find``.

    Iterates in case-insensitive order; ``index[name]`` is the name's text. The names are
    the only strings it holds: the later words are (name, offset) pairs in two arrays, and
    lookups lowercase what they compare, so an index is a few large objects that a refresh
    frees whole.
    """

    __slots__ = ("_names", "_values", "_word_ids", "_word_at")

    def __init__(self, names: Iterable[str] | Mapping[str, str]) -> None:
        pairs = names.items() if isinstance(names, Mapping) else ((n, "") for n in names)
        ordered = sorted(pairs, key=lambda kv: (kv[0].lower(), kv[0]))
        self._names = [n for n, _ in ordered]
        self._values = [v for _, v in ordered]
        words = sorted(((i, p) for i, name in enumerate(self._names) for p in _word_starts(name)),
                       key=lambda w: self._names[w[0]].lower()[w[1]:])
        self._word_ids = array("I", (i for i, _ in words))
        self._word_at = array("H", (p for _, p in words))

    def _key(self, i: int) -> str:
        return self._names[i].lower()

    def _word(self, j: int) -> str:
        return self._names[self._word_ids[j]].lower()[self._word_at[j]:]

    def _row(self, name: object) -> int | None:
        if not isinstance(name, str):
            return None
        lo, hi = _span(len(self._names), self._key, name.lower(), exact=True)
        return next((i for i in range(lo, hi) if self._names[i] == name), None)

    def __getitem__(self, name: str) -> str:
        row = self._row(name)
        if row is None:
            raise KeyError(name)
        return self._values[row]

    def __contains__(self, name: object) -> bool:
        return self._row(name) is not None

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"NameIndex({len(self)} names)"

    def spelled(self, name: str) -> str | None:
        """``name`` as it is spelled here, ignoring case (the first in order if several)."""
        lo, hi = _span(len(self._names), self._key, name.lower(), exact=True)
        return self._names[lo] if hi > lo else None

    def find(self, query: str) -> Found:
        """Names starting with ``query`` (in order), then those with a later word that does
        (in the order of those words); each once."""
        key = query.lower()
        lo, hi = _span(len(self._names), self._key, key)
        wlo, whi = _span(len(self._word_ids), self._word, key) if key else (0, 0)
        later = {i for i in self._word_ids[wlo:whi] if not lo <= i < hi}
        common = ""
        if hi > lo and not later:
            common = _common(self._key(lo), self._key(hi - 1), self._names[lo])
        return Found(self._ranked(lo, hi, wlo, whi, later), hi - lo + len(later), common)

    def _ranked(self, lo: int, hi: int, wlo: int, whi: int,
                later: set[int]) -> Iterator[tuple[str, str]]:
        for i in range(lo, hi):
            yield self._names[i], self._values[i]
        for i in self._word_ids[wlo:whi]:
            if i in later:
                later.discard(i)
                yield self._names[i], self._values[i]


def _span(count: int, key_at: Callable[[int], str], key: str,
          exact: bool = False) -> tuple[int, int]:
    """The positions, among ``count`` sorted by ``key_at``, whose key starts with ``key``
    (or, ``exact``, equals it)."""
    positions = range(count)
    lo = bisect.bisect_left(positions, key, key=key_at)
    end = bisect.bisect_right if exact else bisect.bisect_left
    return lo, end(positions, key if exact else key + _LAST, lo, key=key_at)


def scan(names: Mapping[str, str], query: str) -> Found:
    """``NameIndex.find`` for a short ``{name: text}``, in its own order, without an index."""
    key = query.lower()
    first: list[tuple[str, str]] = []
    later: list[tuple[str, str]] = []
    for name, text in names.items():
        lowered = name.lower()
        if lowered.startswith(key):
            first.append((name, text))
        elif key and any(lowered.startswith(key, p) for p in _word_starts(name)):
            later.append((name, text))
    common = ""
    if first and not later:
        keys = sorted(name.lower() for name, _ in first)
        common = _common(keys[0], keys[-1], first[0][0])
    return Found(iter(first + later), len(first) + len(later), common)
