"""The "did you mean" hint of every unknown name (command, subcommand, collection, property,
template, type, permission action, condition field): one matcher, one cutoff, one wording.

``NameMatcher`` answers as ``difflib.get_close_matches`` does, ignoring case, and scales to
the many collection names of a large cluster (``commands.ops.hints``).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Sequence
from difflib import SequenceMatcher
from itertools import compress

CUTOFF = 0.6
"""``difflib``'s default: how alike (0 to 1) a name must be to be offered."""


class NameMatcher:
    """``difflib.get_close_matches`` over many names, ignoring case, with the same answer.

    The lowercase names are grouped by length once. A query groups the names by a cheap
    upper bound on ``SequenceMatcher.ratio`` (lengths, and characters in common counted in
    C), drops those under the cutoff, and scores the rest best bound first: a name whose
    bound (then ``quick_ratio``) cannot enter the top ``n`` is never scored, and the search
    stops at the first bound that cannot.
    """

    def __init__(self, names: Sequence[str]) -> None:
        self.source = names
        self._by_lower = {name.lower(): name for name in names}
        self._by_length: dict[int, list[str]] = {}
        for lower in self._by_lower:
            self._by_length.setdefault(len(lower), []).append(lower)

    def close(self, word: str, n: int = 3, cutoff: float = CUTOFF) -> list[str]:
        """Up to ``n`` names most like ``word``, best first, as the names are spelt."""
        query = word.lower()
        size, letters = len(query), set(query)
        repeats = size - len(letters)
        # names by an upper bound of their ratio: matches are no more than the shorter
        # length, nor than the distinct shared characters plus the query's repeated ones
        by_bound: dict[float, list[str]] = {}
        for length, group in self._by_length.items():
            most, total = min(size, length), size + length
            if 2.0 * most / total < cutoff:
                continue
            shared = list(map(len, map(letters.intersection, group)))
            for common in set(shared):
                bound = 2.0 * min(common + repeats, most) / total
                if bound >= cutoff:
                    by_bound.setdefault(bound, []).extend(
                        compress(group, map(common.__eq__, shared)))
        matcher = SequenceMatcher()
        matcher.set_seq2(query)
        best: list[tuple[float, str]] = []  # a heap of the top n (score, name)
        for bound in sorted(by_bound, reverse=True):
            if len(best) == n and bound < best[0][0]:
                break
            for name in by_bound[bound]:
                floor = best[0][0] if len(best) == n else cutoff
                matcher.set_seq1(name)
                if matcher.quick_ratio() >= floor and (score := matcher.ratio()) >= floor:
                    (heapq.heappush if len(best) < n else heapq.heappushpop)(best, (score, name))
        return [self._by_lower[name] for _, name in sorted(best, reverse=True)]


def close_matches(word: str, names: Sequence[str], n: int = 3) -> list[str]:
    """Up to ``n`` of ``names`` most like ``word``, ignoring case, best first."""
    return NameMatcher(names).close(word, n, CUTOFF)


def did_you_mean(word: str, names: Sequence[str], n: int = 3,
                 spell: Callable[[str], str] = str) -> str | None:
    """``did you mean A or B?`` with up to ``n`` of ``names`` like ``word``, each written by
    ``spell`` (``\\user``); None when none is close."""
    close = close_matches(word, names, n)
    return f"did you mean {' or '.join(map(spell, close))}?" if close else None
