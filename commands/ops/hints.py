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

from collections.abc import Sequence

from commands.api.client import RestClient
from commands.context import KNOWN_COLLECTIONS
from commands.did_you_mean import NameMatcher
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


_last: NameMatcher | None = None


def close_names(word: str, names: Sequence[str]) -> list[str]:
    """Up to three of ``names`` most like ``word``, ignoring case; the cache hands the same
    tuple until it refreshes, so its index is built once."""
    global _last
    if _last is None or _last.source is not names:
        _last = NameMatcher(names)
    return _last.close(word)
