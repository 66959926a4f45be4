"""A migration's tenants beyond the copy: the target's tenants the source does not have (the
reconciliation deletes them).
"""

from __future__ import annotations

from commands.api.client import RestClient
from commands.ops.tenants import fetch_tenants


def extra_tenants(target: RestClient, name: str, source_tenants: set[str]) -> list[str]:
    """The tenants of ``name`` on the target that the source does not have."""
    return sorted(str(t.get("name")) for t in fetch_tenants(target, name)
                  if t.get("name") not in source_tenants)


def delete_tenants(api: RestClient, name: str, tenants: list[str]) -> None:
    """``DELETE /v1/schema/{name}/tenants`` (unknown names are ignored, so a repeat is
    harmless, REST-BEHAVIOUR.md §5)."""
    if tenants:
        api.request("DELETE", f"/v1/schema/{name}/tenants", json=tenants, idempotent=True)
