"""What a reindex request asks for: validation of PUT and rebuild bodies against a property,
and the migration each one becomes (``adapters/handlers/rest/handlers_indexes_upsert.go``
``resolveSearchableUpsert``, ``resolveFilterableUpsert``, ``resolveRangeableUpsert``,
``resolveRebuildPlan``, ``validateTenantScope``; ``handlers_reindex.go`` validators). A plan is
``(migration type, target tokenization)``; None for the type means NO_OP. Refusals are 400s
with Weaviate's texts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sandbox.classes import RANGE_TYPES, TEXT_TYPES, TOKENIZATIONS
from sandbox.http import ApiError, error
from sandbox.store import OFFLOADED

if TYPE_CHECKING:
    from sandbox.store import Collection

NO_FILTERABLE = ("blob", "geoCoordinates", "phoneNumber")
# migrations that change what an index means: every tenant at once (IsSemanticMigration)
SEMANTIC = ("change-tokenization", "change-tokenization-filterable", "enable-filterable",
            "enable-searchable", "change-algorithm")


def primitive(prop: dict[str, Any]) -> str | None:
    """The property's primitive data type, or None for a reference."""
    data_type = prop["dataType"]
    return data_type[0] if len(data_type) == 1 and data_type[0][:1].islower() else None


def bad(message: str) -> ApiError:
    """The handlers' 400 for a request they cannot satisfy."""
    return ApiError(error(400, message))


def no_searchable(name: str) -> ApiError:
    """``db.NoSearchableIndexError``."""
    return bad(f'property "{name}" has no searchable index; PUT /v1/schema/{{className}}/'
               f"properties/{name}/index/searchable with a tokenization to add one first")


def check_tokenization(tokenization: str) -> None:
    """``entschema.IsValidTokenization``, or the 400."""
    if tokenization not in TOKENIZATIONS:
        raise bad(f'invalid tokenization "{tokenization}"')


def plan_searchable(prop: dict[str, Any], tok: str, algorithm: str,
                    blockmax: bool) -> tuple[str | None, str]:
    """``(migration type or None for NO_OP, target tokenization)`` for a searchable PUT."""
    name = prop["name"]
    if tok and algorithm:
        raise bad("at most one configuration change per request: set either tokenization or "
                  "algorithm, not both — issue two requests")
    if algorithm:
        word = algorithm.lower().replace("-", "").replace("_", "")
        if word == "wand":
            raise bad('algorithm "wand" is deprecated; only "blockmax" is accepted as a target')
        if word not in ("blockmax", "blockmaxwand", "bmw"):
            raise bad(f'unsupported algorithm "{algorithm}"; only "blockmax" is accepted '
                      "(WAND is deprecated)")
    exists = bool(prop.get("indexSearchable"))
    if algorithm:
        if not exists:
            raise no_searchable(name)
        return (None if blockmax else "change-algorithm"), ""
    if not exists:
        if primitive(prop) not in TEXT_TYPES:
            raise bad(f'property "{name}" is not a text type')
        if not tok:
            raise bad("enable-searchable requires a tokenization to be set on the request body")
        check_tokenization(tok)
        current = prop.get("tokenization")
        if prop.get("indexFilterable") and current and current != tok:
            raise bad(f'property "{name}" has an existing filterable index built with '
                      f'tokenization "{current}"; enabling searchable with tokenization '
                      f'"{tok}" would silently desynchronize the filterable index. Retokenize '
                      "the filterable index first or use the matching tokenization")
        return "enable-searchable", tok
    if not tok or tok == prop.get("tokenization"):
        return None, ""
    check_tokenization(tok)
    return "change-tokenization", tok


def plan_filterable(prop: dict[str, Any], tok: str, algorithm: str) -> tuple[str | None, str]:
    """The plan of a filterable PUT."""
    name, kind = prop["name"], primitive(prop)
    if algorithm:
        raise bad("the algorithm field is only valid for a searchable index")
    if not prop.get("indexFilterable"):
        if kind is None:
            raise bad(f'property "{name}" type [{" ".join(prop["dataType"])}] does not support '
                      "a filterable index")
        if kind in NO_FILTERABLE:
            raise bad(f'property "{name}" type "{kind}" does not support a filterable index')
        if tok and tok != prop.get("tokenization"):
            raise bad(f'cannot create a filterable index for property "{name}" with '
                      f'tokenization "{tok}": it must match the property\'s current '
                      f'tokenization "{prop.get("tokenization", "")}" — retokenize after '
                      "creation to change it")
        return "enable-filterable", ""
    if not tok or tok == prop.get("tokenization"):
        return None, ""
    if kind not in TEXT_TYPES:
        raise bad(f'property "{name}" is not a text type; filterable.tokenization only '
                  "applies to text / text[]")
    check_tokenization(tok)
    return "change-tokenization-filterable", tok


def plan_rangeable(prop: dict[str, Any], tok: str, algorithm: str) -> tuple[str | None, str]:
    """The plan of a rangeFilters PUT (no configuration fields)."""
    name = prop["name"]
    if tok or algorithm:
        raise bad("the rangeFilters index takes no configuration fields; send an empty body {}")
    if prop.get("indexRangeFilters"):
        return None, ""
    if primitive(prop) not in RANGE_TYPES:
        raise bad(f'property "{name}" is not a numeric type (int, number, date)')
    return "enable-rangeable", ""


def plan_rebuild(prop: dict[str, Any], index_type: str, blockmax: bool) -> str:
    """The repair migration of a rebuild, after its preconditions."""
    name, kind = prop["name"], primitive(prop)
    if index_type == "searchable":
        if not prop.get("indexSearchable"):
            raise no_searchable(name)
        if not blockmax:
            raise bad('cannot rebuild a WAND searchable index — WAND is deprecated; PUT '
                      '{"algorithm":"blockmax"} to migrate first')
        return "rebuild-searchable"
    if index_type == "filterable":
        if not prop.get("indexFilterable"):
            raise bad(f'property "{name}" does not have a filterable index')
        if kind is None or kind in NO_FILTERABLE:
            shown = f'"{kind}"' if kind else f"[{' '.join(prop['dataType'])}]"
            raise bad(f'property "{name}" type {shown} does not support a filterable inverted '
                      "index; nothing to rebuild")
        return "repair-filterable"
    if kind not in RANGE_TYPES:
        raise bad(f'property "{name}" is not a numeric type (int, number, date)')
    if not prop.get("indexRangeFilters"):
        raise bad(f'property "{name}" does not have a rangeable index to rebuild; use enable '
                  "to create one")
    return "repair-rangeable"


def check_tenant_scope(col: Collection, tenants: list[str], semantic: bool) -> None:
    """``validateTenantScope``: tenants only for format-only changes of a multi-tenant
    collection, and only tenants with local data."""
    if not tenants:
        return
    if not col.multi_tenant:
        raise bad("tenants parameter is only valid for multi-tenant collections")
    if semantic:
        raise bad("tenants parameter cannot be used with semantic migrations; all tenants "
                  "must be targeted")
    for tenant in tenants:
        if tenant not in col.tenants:
            raise bad(f'tenant "{tenant}" does not exist')
        if col.tenants[tenant] == OFFLOADED:
            raise bad(f'tenant "{tenant}" is not in an active status (OFFLOADED/FROZEN tenants '
                      "cannot be reindexed)")
