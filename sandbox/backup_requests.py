"""Backup request bodies as go-openapi and Weaviate's scheduler check them (§11).

Pure validation: JSON types (400 with Go's unmarshal text), enums and ranges (422
with go-openapi codes), ids and class selections (422 with Weaviate's messages).
"""

from __future__ import annotations

import fnmatch
import re
from typing import TYPE_CHECKING, Any

from sandbox.classes import upper_first
from sandbox.http import ApiError, Request, fail, framework_error, go_kind, parse_error

if TYPE_CHECKING:
    from sandbox.core import Core

VALID_ID = re.compile(r"^[a-z0-9_-]+$")
MULTI_NODE = ("local filesystem backend is not viable for backing up a node cluster, try s3 "
              "or gcs")
STRINGS = (list, "[]string")
FIELDS = {
    "BackupCreateRequest": {"id": (str, "string"), "include": STRINGS, "exclude": STRINGS,
                            "includeUsers": STRINGS, "includeRoles": STRINGS,
                            "incremental_base_backup_id": (str, "string"),
                            "config": (dict, "models.BackupConfig")},
    "BackupRestoreRequest": {"include": STRINGS, "exclude": STRINGS,
                             "node_mapping": (dict, "map[string]string"),
                             "overwriteAlias": (bool, "bool"),
                             "config": (dict, "models.RestoreConfig")},
}
CONFIG_KEYS = ("Bucket", "Path", "Endpoint", "CPUPercentage", "ChunkSize", "CompressionLevel",
               "rolesOptions", "usersOptions")
ENUMS = {"CompressionLevel": ["DefaultCompression", "BestSpeed", "BestCompression",
                              "ZstdDefaultCompression", "ZstdBestSpeed", "ZstdBestCompression",
                              "NoCompression"],
         "rolesOptions": ["noRestore", "all"], "usersOptions": ["noRestore", "all"]}


def go_list(items: list[str]) -> str:
    """Go's ``%v`` of a string slice."""
    return "[" + " ".join(items) + "]"


def check_id(backup_id: str) -> None:
    """Weaviate's backup id rule."""
    if not VALID_ID.match(backup_id):
        raise fail(422, f"invalid backup id: '{backup_id}' allowed characters are lowercase, "
                        "0-9, _, -")


def expand(patterns: list[str], names: list[str]) -> list[str]:
    """Wildcard patterns (``*``, ``?``) matched against ``names``; plain names pass through."""
    out: list[str] = []
    for pattern in patterns:
        hits = [n for n in names if fnmatch.fnmatchcase(n, pattern)] \
            if any(c in pattern for c in "*?") else [pattern]
        out += [h for h in hits if h not in out]
    return out


def go_keys(data: dict[str, Any], names: Any) -> dict[str, Any]:
    """Go's ``encoding/json`` matches keys to struct fields case-insensitively."""
    folded = {n.casefold(): n for n in names}
    return {k if k in names else folded.get(k.casefold(), k): v for k, v in data.items()}


def parse_body(request: Request, model: str) -> dict[str, Any]:
    """Decode a body as go-openapi does: 400 for a JSON type mismatch, 422 for a broken rule."""
    body = request.json()

    def wrong(value: Any, where: str, go_type: str) -> ApiError:
        return parse_error(f"json: cannot unmarshal {go_kind(value)} into Go {where} of type "
                           f"{go_type}")
    if not isinstance(body, dict):
        raise wrong(body, "value", f"models.{model}")
    body = go_keys(body, FIELDS[model])
    if isinstance(body.get("config"), dict):
        body["config"] = go_keys(body["config"], CONFIG_KEYS)
    config = body.get("config") or {}
    checks = [(body.get(k), k, *spec) for k, spec in FIELDS[model].items()]
    checks += [(config.get(k), f"config.{k}", str, "string") for k in ("Bucket", "Path", *ENUMS)]
    for value, key, kind, go_type in checks:
        if value is not None and not isinstance(value, kind):
            raise wrong(value, f"struct field {model}.{key}", go_type)
        items = value.values() if key == "node_mapping" and isinstance(value, dict) else \
            value if isinstance(value, list) else ()
        bad = [i for i in items if not isinstance(i, str)]
        if bad:
            raise wrong(bad[0], f"struct field {model}.{key}", "string")
    cpu = config.get("CPUPercentage")
    if cpu is not None and (isinstance(cpu, bool) or not isinstance(cpu, int)):
        raise wrong(cpu, f"struct field {model}.config.CPUPercentage", "int64")
    if cpu and not 1 <= cpu <= 80:
        rule, code = ("greater than or equal to 1", 609) if cpu < 1 else \
            ("less than or equal to 80", 608)
        raise ApiError(framework_error(422, code, f"config.CPUPercentage in body should be {rule}"))
    for key, allowed in ENUMS.items():
        if config.get(key) and config[key] not in allowed:
            raise ApiError(framework_error(
                422, 606, f"config.{key} in body should be one of {go_list(allowed)}"))
    return body


def selection(app: Core, body: dict[str, Any],
              backup_id: str | None) -> tuple[list[str], list[str]]:
    """The scheduler's first checks; include and exclude come back with class names case-fixed."""
    if app.node_count > 1:
        raise fail(422, MULTI_NODE)
    if backup_id is not None:
        check_id(backup_id)
    include, exclude = ([upper_first(c) for c in body.get(k) or []] for k in ("include", "exclude"))
    if include and exclude:
        raise fail(422, "malformed request: 'include' and 'exclude' cannot both contain values")
    dup = next((c for i, c in enumerate(include) if c in include[:i]), None)
    if dup:
        raise fail(422, f"class list 'include' contains duplicate: {dup}")
    return include, exclude
