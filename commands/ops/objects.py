"""Objects and exact counts: the ``after`` cursor of ``GET /v1/objects``, single-object reads
and GraphQL ``Aggregate { meta { count } }`` (REST-BEHAVIOUR.md §7.2-7.4, §10).

Weaviate wraps list errors as ``msg:<what> code:<n> err:<reason>``; ``plain_message``
keeps the reason, which is the part a person can act on.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from commands.api.client import RestClient
from commands.api.forbidden import denial_hint
from commands.errors import ApiError, ShellError, UsageError

MAX_LIMIT = 10_000
CLASS_NAME = re.compile(r"^[A-Z][_0-9A-Za-z]{0,254}$")
_WRAPPED = re.compile(r"^msg:.*? code:\d+ err:(.*)$", re.S)
MT_WITHOUT_TENANT = "has multi-tenancy enabled, but request was without tenant"


@dataclass(frozen=True, slots=True)
class ObjectPage:
    """One page of the cursor; ``next_after`` is the last id when the page was full."""

    objects: list[dict[str, Any]]
    next_after: str | None


def plain_message(message: str) -> str:
    """``msg:search index x code:422 err:tenant not found`` -> ``tenant not found``."""
    match = _WRAPPED.match(message)
    return match.group(1).strip() if match else message


def canonical_uuid(value: str, what: str = "") -> str:
    """The lowercase canonical form of a UUID, or a ``UsageError``."""
    try:
        import uuid  # loaded on first use: it imports platform, which slows start-up

        return str(uuid.UUID(value))
    except (ValueError, AttributeError, TypeError):
        raise UsageError(f"{what + ': ' if what else ''}{value!r} is not a UUID",
                         "e.g. 0d5d9b5c-3c4e-4f0a-9a1e-6b1f2c3d4e5f") from None


def list_objects(api: RestClient, collection: str, *, limit: int, after: str | None = None,
                 tenant: str | None = None, include_vector: bool = False) -> ObjectPage:
    """One page in UUID order after ``after`` (the start when None), in one request."""
    if not 1 <= limit <= MAX_LIMIT:
        raise UsageError(f"--limit must be between 1 and {MAX_LIMIT}, got {limit}")
    params: dict[str, Any] = {"class": collection, "limit": limit, "after": after or ""}
    if tenant:
        params["tenant"] = tenant
    if include_vector:
        params["include"] = "vector"
    try:
        body = api.request("GET", "/v1/objects", params=params).json()
    except ApiError as exc:
        raise ApiError(exc.status, exc.method, exc.path, plain_message(exc.message),
                       exc.hint) from None
    objects = body.get("objects") or []
    full = len(objects) == limit
    return ObjectPage(objects=objects, next_after=objects[-1]["id"] if full else None)


def get_object(api: RestClient, collection: str, object_id: str, *, tenant: str | None = None,
               include_vector: bool = False) -> dict[str, Any] | None:
    """``GET /v1/objects/{collection}/{id}``; None when Weaviate answers 404."""
    params: dict[str, Any] = {}
    if tenant:
        params["tenant"] = tenant
    if include_vector:
        params["include"] = "vector"
    response = api.request("GET", f"/v1/objects/{collection}/{object_id}", params=params,
                           ok=(404,))
    return None if response.status_code == 404 else response.json()


def id_filter(ids: list[str]) -> dict[str, Any]:
    """A where filter matching exactly ``ids``."""
    clauses = [{"path": ["id"], "operator": "Equal", "valueText": i} for i in ids]
    return clauses[0] if len(clauses) == 1 else {"operator": "Or", "operands": clauses}


DELETE_IDS = 100  # ids per DELETE /v1/batch/objects (one Or filter)


def delete_calls(count: int) -> list[str]:
    """The batch deletes of ``count`` ids, ``DELETE_IDS`` a call, as a plan lists its
    requests (none for none)."""
    calls = -(-count // DELETE_IDS)
    return [f"DELETE /v1/batch/objects (x{calls}, up to {DELETE_IDS} ids each)"] * bool(calls)


def delete_objects(api: RestClient, name: str, tenant: str | None,
                   ids: list[str]) -> dict[str, Any]:
    """One ``DELETE /v1/batch/objects`` of exactly ``ids`` (one tenant): Weaviate's
    ``results`` (``successful``, ``failed``). Repeating it after a lost answer deletes
    nothing more, so it is retried like any idempotent request."""
    body = {"match": {"class": name, "where": id_filter(ids)}, "output": "minimal"}
    params = {"tenant": tenant} if tenant is not None else None
    return (api.request("DELETE", "/v1/batch/objects", json=body, params=params).json()
            or {}).get("results") or {}


def aggregate_count(api: RestClient, collection: str, tenant: str | None = None) -> int:
    """The exact object count of a class (or of one tenant) by GraphQL ``Aggregate``.

    ``collection`` must be a canonical class name; errors in the GraphQL answer
    (which come with HTTP 200) become a ``ShellError``.
    """
    if not CLASS_NAME.match(collection):
        raise ShellError(f"not a class name: {collection!r}")
    target = f"{collection}(tenant: {json.dumps(tenant)})" if tenant else collection
    query = f"{{ Aggregate {{ {target} {{ meta {{ count }} }} }} }}"
    body = api.request("POST", "/v1/graphql", json={"query": query}, idempotent=True).json()
    errors = body.get("errors") or []
    if errors:
        message = " ".join(str(errors[0].get("message", errors[0])).split())
        raise ShellError(message, denial_hint(message))
    groups = ((body.get("data") or {}).get("Aggregate") or {}).get(collection) or []
    if not groups:
        return 0
    return int(((groups[0] or {}).get("meta") or {}).get("count") or 0)
