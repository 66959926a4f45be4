"""``\\optimize`` rules for the inverted index: range filters (T25), tokenization of id-like
text (T26) and the optional indexes (T23).

Property settings cannot change through ``PUT /v1/schema/{c}``: from v1.39 the runtime
reindex API changes them (``RUNTIME_REINDEX_ENABLED=true``), before that only a copy.
"""

from __future__ import annotations

import re
from typing import Any

from commands.ops.optimize.measure import Measurements, Recommendation, Rule, setting

REINDEX = (1, 39)
"""Runtime reindex API (``PUT .../properties/{p}/index/{type}``), OPERATIONS.md §3.3."""
RANGE_TYPES = ("int", "number", "date")
ID_LIKE = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # UUID
    r"|[^@\s]+@[^@\s]+\.[^@\s]+"                                       # e-mail
    r"|[a-z][a-z0-9+.-]*://\S+"                                        # URL
    r"|(?=\S*\d)[a-z0-9]+(?:[-_./:#][a-z0-9]+)+",                      # SKU-like code
    re.IGNORECASE)
ID_LIKE_MIN = 3
"""Sampled values needed before text is judged id-like."""
ID_LIKE_SHARE = 0.9
"""Share of the sampled values that must look like identifiers (T26) [JUDGEMENT]."""
REINDEX_NOTE = ("needs RUNTIME_REINDEX_ENABLED=true on the server (else 400); each call starts "
                "an asynchronous reindex task (202)")
INDEX_SOURCE = "D/weaviate/config-refs/indexing/inverted-index"


def _how(m: Measurements, calls: list[str]) -> tuple[str, str]:
    """``(change, applies)``: reindex calls from v1.39, else a copy."""
    if m.at_least(REINDEX):
        return "; ".join(calls), "rest-call"
    return "", "copy"


def range_filters(m: Measurements) -> list[Recommendation]:
    """T25: int/number/date properties without a range index."""
    props = [p["name"] for p in m.cls.get("properties") or []
             if (p.get("dataType") or [""])[0] in RANGE_TYPES and not p.get("indexRangeFilters")]
    if not props:
        return []
    edits = tuple((p, "indexRangeFilters", True) for p in props)
    change, applies = _how(m, [f"PUT /v1/schema/{m.name}/properties/{p}/index/rangeFilters {{}}"
                               for p in props])
    return [Recommendation(
        rule="range-filters", operations_rule="T25", severity="low",
        reason=f"{len(props)} int/number/date properties without a range index "
               f"({', '.join(props)}); whether filters compare them with <, >, <=, >= is not "
               "measurable over REST",
        change=change or ", ".join(f"{p}.indexRangeFilters=true" for p in props),
        applies=applies,
        effect="comparison filters use the range index when it exists: faster range filters "
               "on large collections, for a little disk and import time"
               + (f"; {REINDEX_NOTE}" if applies == "rest-call" else ""),
        source=INDEX_SOURCE, property_edits=edits, impact=float(len(props)))]


def _values(m: Measurements, prop: str) -> list[str]:
    out: list[str] = []
    for props in m.sample:
        value: Any = props.get(prop)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item.strip():
                out.append(item.strip())
    return out


def id_like_text(m: Measurements) -> list[Recommendation]:
    """T26: text that looks like identifiers (sampled) but is tokenized as words."""
    out = []
    for prop in m.cls.get("properties") or []:
        if (prop.get("dataType") or [""])[0] not in ("text", "text[]") or \
                prop.get("tokenization", "word") != "word":
            continue
        values = _values(m, prop["name"])
        hits = [v for v in values if ID_LIKE.fullmatch(v)]
        if len(values) < ID_LIKE_MIN or len(hits) < ID_LIKE_SHARE * len(values):
            continue
        name = prop["name"]
        change, applies = _how(m, [f"PUT /v1/schema/{m.name}/properties/{name}/index/searchable "
                                   '{"tokenization":"field"}'])
        out.append(Recommendation(
            rule="tokenization-field", operations_rule="T26", severity="low",
            reason=f"{name}: {len(hits)} of {len(values)} sampled values look like identifiers "
                   f"(UUIDs, e-mails, URLs, codes), e.g. {hits[0]!r}, but tokenization is word, "
                   "which splits them at punctuation",
            change=change or f"{name}.tokenization=field", applies=applies,
            effect="field tokenization keeps the whole value as one token: exact matches, no "
                   "hits on fragments, no stopwords"
                   + (f"; {REINDEX_NOTE}" if applies == "rest-call" else ""),
            source="D/weaviate/manage-collections/inverted-index; " + INDEX_SOURCE,
            property_edits=((name, "tokenization", "field"),), impact=float(len(hits))))
    return out


def optional_indexes(m: Measurements) -> list[Recommendation]:
    """T23: timestamp, null-state and length indexes that cost on every write."""
    inverted = m.cls.get("invertedIndexConfig") or {}
    flags = [f for f in ("indexTimestamps", "indexNullState", "indexPropertyLength")
             if inverted.get(f)]
    if not flags:
        return []
    return [setting(
        tuple((f"invertedIndexConfig.{f}", False) for f in flags), "copy",
        rule="optional-indexes", operations_rule="T23", severity="info",
        reason=f"{', '.join(flags)} on: extra indexes written on every import; whether "
               "filters use them (creation or update time, null state, length) is not "
               "measurable over REST",
        effect="less import work and disk; turn them off only if no filter needs them "
               "(immutable: a copy)",
        source=INDEX_SOURCE)]


INVERTED_RULES: tuple[Rule, ...] = (range_filters, id_like_text, optional_indexes)
