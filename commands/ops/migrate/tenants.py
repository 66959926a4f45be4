"""A migration's tenants beyond the copy: the target's tenants the source does not have (the
reconciliation deletes them), and the source tenants a migration activated, set back when
it fails or is interrupted (OPERATIONS.md §3.1.3).
"""

from __future__ import annotations

import orjson

from commands.api.client import RestClient
from commands.errors import ShellError
from commands.ops.backup.imports import set_statuses
from commands.ops.tenants import documented_status, fetch_tenants


def extra_tenants(target: RestClient, name: str, source_tenants: set[str]) -> list[str]:
    """The tenants of ``name`` on the target that the source does not have."""
    return sorted(str(t.get("name")) for t in fetch_tenants(target, name)
                  if t.get("name") not in source_tenants)


def delete_tenants(api: RestClient, name: str, tenants: list[str]) -> None:
    """``DELETE /v1/schema/{name}/tenants`` (unknown names are ignored, so a repeat is
    harmless, REST-BEHAVIOUR.md §5)."""
    if tenants:
        api.request("DELETE", f"/v1/schema/{name}/tenants", json=tenants, idempotent=True)


def set_back(api: RestClient, name: str, tenants: list[str]) -> str | None:
    """After a failure: ``tenants`` (made ACTIVE for the copy) go back to INACTIVE. None when
    they did; else a sentence naming those still ACTIVE and the request that sets them back."""
    if not tenants:
        return None
    try:
        set_statuses(api, name, [(t, "INACTIVE") for t in tenants])
        now = {t.get("name"): documented_status(t.get("activityStatus"))
               for t in fetch_tenants(api, name)}
        left = [t for t in tenants if now.get(t) == "ACTIVE"]
    except (ShellError, KeyboardInterrupt):
        left = list(tenants)
    if not left:
        return None
    body = orjson.dumps([{"name": t, "activityStatus": "INACTIVE"} for t in left]).decode()
    many = len(left) > 1
    return (f"tenant{'s' * many} {', '.join(left)} of {name} stay{'s' * (not many)} ACTIVE on "
            f"the source (INACTIVE before the migration): set {'them' if many else 'it'} "
            f"back with curl -X PUT {api.url}/v1/schema/{name}/tenants -H 'Content-Type: "
            f"application/json' -d '{body}', or rerun the same \\migrate (it sets them back "
            "when it ends)")
