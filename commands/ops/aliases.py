"""Collection aliases: ``/v1/aliases`` (Weaviate >= 1.32; REST-BEHAVIOUR.md §6.2).

An alias names a collection wherever a collection name is read; pointing it at another
collection (a cut-over) changes what every client reading through it sees at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from commands.api.client import RestClient
from commands.errors import ShellError, excerpt
from commands.ops import versions
from commands.ops.schema import upper_first

FLOOR = (1, 32)


@dataclass(frozen=True, slots=True)
class Alias:
    """One alias and the collection it points to."""

    name: str
    collection: str


def require_aliases(server_version: str | None) -> None:
    """Refuse before any request when the server predates aliases."""
    versions.require(server_version, FLOOR, "aliases")


def list_aliases(api: RestClient, collection: str | None = None) -> list[Alias]:
    """Every alias (of ``collection`` only, when given), sorted by name; one request."""
    body = api.get_json("/v1/aliases", **{"class": collection})
    found = [Alias(a.get("alias", ""), a.get("class", "")) for a in (body or {}).get("aliases")
             or ()]
    return sorted(found, key=lambda a: a.name.lower())


def get_alias(api: RestClient, name: str) -> Alias | None:
    """The alias ``name``, or None when there is none (Weaviate answers 404 without a body)."""
    response = api.request("GET", f"/v1/aliases/{upper_first(name)}", ok=(404,))
    if response.status_code == 404:
        return None
    body: dict[str, Any] = response.json()
    return Alias(body.get("alias", ""), body.get("class", ""))


def require_alias(api: RestClient, name: str) -> Alias:
    """The alias ``name``, or an error with a hint."""
    found = get_alias(api, name)
    if found is None:
        raise ShellError(f"no alias named {excerpt(upper_first(name))!r}",
                         r"\alias lists the aliases; \alias create ALIAS COLLECTION makes one")
    return found


def create_alias(api: RestClient, name: str, collection: str) -> Alias:
    """``POST /v1/aliases``."""
    body = api.request("POST", "/v1/aliases", json={"alias": name, "class": collection}).json()
    return Alias(body.get("alias", name), body.get("class", collection))


def point_alias(api: RestClient, name: str, collection: str) -> Alias:
    """``PUT /v1/aliases/{name}``: the alias now names ``collection``."""
    body = api.request("PUT", f"/v1/aliases/{name}", json={"class": collection}).json()
    return Alias(body.get("alias", name), body.get("class", collection))


def delete_alias(api: RestClient, name: str) -> None:
    """``DELETE /v1/aliases/{name}`` (204)."""
    api.request("DELETE", f"/v1/aliases/{name}")
