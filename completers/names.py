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
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

__all__ = ["Found", "NameIndex", "scan"]

# Where a later word starts: a capital after a small letter or digit, the last capital of a
# run followed by a small letter (HTTPServer), a digit run after a letter, a letter after a
# digit, anything after a separator.
_WORD = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])|(?<=[A-Za-z])(?=[0-9])"
                   r"|(?<=[0-9])(?=[A-Za-z])|(?<=[_\-.:/ ])(?=[^_\-.:/ ])")
_LAST = "\U0010ffff"  # sorts after every character: the end of a prefix range


def word_starts(name: str) -> list[int]:
    """Where the words of ``name`` after the first begin."""
    return [m.start() for m in _WORD.finditer(name) if m.start() > 0]


@dataclass(frozen=True, slots=True)
class Found:
    """The names a lookup matched, best first (lazily), and how many in all.

    ``common`` is the longest start every match shares (spelled as the first match spells
    it) when all of them start with the query, else ``""``: a cut list can still extend
    what was typed by it.
    """

    names: Iterator[str]
    total: int
    common: str = ""


def _common(first: str, last: str, spelled: str) -> str:
    return spelled[:len(os.path.commonprefix([first, last]))]


class NameIndex(Mapping[str, str]):
    """Names (each with a short text: a status, a target) sorted once for ``find``.

    Iterates in case-insensitive order; ``index[name]`` is the name's text.
    """

    __slots__ = ("_keys", "_names", "_values", "_at", "_words", "_word_ids")

    def __init__(self, names: Iterable[str] | Mapping[str, str]) -> None:
        pairs = names.items() if isinstance(names, Mapping) else ((n, "") for n in names)
        ordered = sorted(pairs, key=lambda kv: (kv[0].lower(), kv[0]))
        self._names = [n for n, _ in ordered]
        self._values = [v for _, v in ordered]
        self._keys = [n.lower() for n in self._names]
        self._at = {n: i for i, n in enumerate(self._names)}
        words = sorted((key[p:], i) for i, key in enumerate(self._keys)
                       for p in word_starts(self._names[i]))
        self._words = [w for w, _ in words]
        self._word_ids = array("I", (i for _, i in words))

    def __getitem__(self, name: str) -> str:
        return self._values[self._at[name]]

    def __contains__(self, name: object) -> bool:
        return name in self._at

    def __iter__(self) -> Iterator[str]:
        return iter(self._names)

    def __len__(self) -> int:
        return len(self._names)

    def __repr__(self) -> str:
        return f"NameIndex({len(self)} names)"

    def spelled(self, name: str) -> str | None:
        """``name`` as it is spelled here, ignoring case (the first in order if several)."""
        key = name.lower()
        i = bisect.bisect_left(self._keys, key)
        return self._names[i] if i < len(self._keys) and self._keys[i] == key else None

    def find(self, query: str) -> Found:
        """Names starting with ``query`` (in order), then those with a later word that does
        (in the order of those words); each once."""
        key = query.lower()
        lo, hi = _span(self._keys, key)
        wlo, whi = _span(self._words, key) if key else (0, 0)
        later = {i for i in self._word_ids[wlo:whi] if not lo <= i < hi}
        common = ""
        if hi > lo and not later:
            common = _common(self._keys[lo], self._keys[hi - 1], self._names[lo])
        return Found(self._ranked(lo, hi, wlo, whi, later), hi - lo + len(later), common)

    def _ranked(self, lo: int, hi: int, wlo: int, whi: int, later: set[int]) -> Iterator[str]:
        for i in range(lo, hi):
            yield self._names[i]
        for i in self._word_ids[wlo:whi]:
            if i in later:
                later.discard(i)
                yield self._names[i]


def _span(keys: list[str], key: str) -> tuple[int, int]:
    """The range of ``keys`` (sorted) that start with ``key``."""
    lo = bisect.bisect_left(keys, key)
    return lo, bisect.bisect_left(keys, key + _LAST, lo)


def scan(names: Iterable[str], query: str) -> Found:
    """``NameIndex.find`` for a short list, in the list's own order, without an index."""
    key = query.lower()
    first: list[str] = []
    later: list[str] = []
    for name in names:
        lowered = name.lower()
        if lowered.startswith(key):
            first.append(name)
        elif key and any(lowered.startswith(key, p) for p in word_starts(name)):
            later.append(name)
    common = ""
    if first and not later:
        keys = sorted(n.lower() for n in first)
        common = _common(keys[0], keys[-1], first[0])
    return Found(iter(first + later), len(first) + len(later), common)
