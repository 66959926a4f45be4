"""Collection names for a "did you mean" hint, without downloading every class definition.

The names come from the completion cache when the shell has one (``Session.known_collections``,
handed to the running command through ``commands.context.KNOWN_COLLECTIONS``), otherwise
from GraphQL introspection of the ``Get`` type: Weaviate builds ``GetObjectsObj`` with one
field per class, with or without properties, and one per alias
(adapters/handlers/graphql/local/get/class_builder.go, ``kinds``), and its introspection
lists the fields sorted by name (tailor-platform/graphql introspection.go). That answer is
a few bytes per name where ``GET /v1/schema`` is kilobytes per class.
"""

from __future__ import annotations

import heapq
from collections.abc import Sequence
from difflib import SequenceMatcher
from itertools import compress

from commands.api.client import RestClient
from commands.context import KNOWN_COLLECTIONS
from commands.errors import ApiError

INTROSPECT_GET = '{ __type(name: "GetObjectsObj") { fields { name } } }'


def cached_or_listed(api: RestClient) -> Sequence[str] | None:
    """Every collection name from the completion cache (when ``api`` is the session's), else
    from GraphQL introspection; None when neither answers (no cache, and GraphQL disabled,
    forbidden or without a schema): the caller falls back to ``GET /v1/schema``."""
    hook = KNOWN_COLLECTIONS.get()
    names = hook[1]() if hook is not None and hook[0] is api else None
    return names if names is not None else introspected(api)


def introspected(api: RestClient) -> list[str] | None:
    """The fields of Weaviate's ``GetObjectsObj`` (classes and aliases), or None when the
    server would not say: ``DISABLE_GRAPHQL`` and an empty schema answer 422, a role
    without ``read_collections`` on every collection 403, namespaces 410."""
    try:
        body = api.request("POST", "/v1/graphql", json={"query": INTROSPECT_GET},
                           idempotent=True).json()
    except (ApiError, ValueError):  # ValueError: an answer that is not JSON
        return None
    if not isinstance(body, dict) or body.get("errors"):
        return None
    found = (body.get("data") or {}).get("__type")
    fields = found.get("fields") if isinstance(found, dict) else None
    if not isinstance(fields, list):
        return None
    return [f["name"] for f in fields if isinstance(f, dict) and isinstance(f.get("name"), str)]


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

    def close(self, word: str, n: int = 3, cutoff: float = 0.6) -> list[str]:
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


_last: NameMatcher | None = None


def close_names(word: str, names: Sequence[str]) -> list[str]:
    """Up to three of ``names`` most like ``word``, ignoring case; the cache hands the same
    tuple until it refreshes, so its index is built once."""
    global _last
    if _last is None or _last.source is not names:
        _last = NameMatcher(names)
    return _last.close(word)
