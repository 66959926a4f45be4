"""Support for the restore tests (no tests here): backups built from a sandbox collection
with ``commands.ops.backup.format`` (independently of ``\\backup``), the collection's state
read back for comparisons, and ``\\restore`` run through its declaration.

``snapshot`` pages through ``GET /v1/objects?include=vector`` and writes ``objects``
chunks (and ``index`` chunks, as ``\\backup`` does); given the state of a base backup it
writes an incremental: the objects created or changed since, and ``deleted`` chunks.
``write_chunk`` is its own writer of the format, so the restore is tested against the
format's description rather than against ``\\backup``'s code.
"""

from __future__ import annotations

import hashlib
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson

from commands.context import CommandContext, Session
from commands.meta import MODULES
from commands.meta import backup as backup_meta
from commands.meta import restore as restore_meta
from commands.ops.backup.format import Chunk, Manifest, compress, write_atomic
from commands.parse import bind, tokenize
from commands.registry import Registry

REGISTRY = Registry.from_modules(dict.fromkeys((*MODULES, backup_meta, restore_meta)))
State = dict[tuple[str | None, str], dict[str, Any]]
PAGE = 7  # objects per line of an objects chunk


def write_chunk(directory: Path, relative: str, kind: str, tenant: str | None,
                lines: list[dict[str, Any]], codec: str) -> Chunk:
    """One chunk as the format describes it: objects in pages of ``PAGE`` per line, other
    kinds one entry per line."""
    if kind == "objects":
        lines = [{"objects": lines[i:i + PAGE]} for i in range(0, len(lines), PAGE)]
    data = compress(b"".join(orjson.dumps(line) + b"\n" for line in lines), codec)
    write_atomic(directory / relative, data)
    ids = [entry["id"] for line in lines for entry in line.get("objects", [line])]
    return Chunk(file=relative, kind=kind, tenant=tenant, objects=len(ids), lines=len(lines),
                 bytes=len(data), sha256=hashlib.sha256(data).hexdigest(),
                 first=ids[0] if ids else None, last=ids[-1] if ids else None)


def restore_file(directory: Path, name: str, backup: str, suffix: str = ".restore.json"
                 ) -> Path:
    """The one checkpoint (or, with ``suffix``, error report) of a restore of backup
    ``name.backup`` in ``directory`` (a digest of the target cluster is in its name)."""
    [path] = directory.glob(f"{name}.{backup}.*{suffix}")
    return path


def run(session: Session, line: str, ctx_out: list[CommandContext] | None = None) -> Any:
    """Bind ``line`` and call the handler (as conftest's ``run``, with ``\\backup`` and
    ``\\restore`` whether or not they are registered yet)."""
    words = tokenize(line)
    spec = REGISTRY.find(words[0])
    inv = bind(spec, words[1:])
    ctx = CommandContext(session, inv.arguments)
    if ctx_out is not None:
        ctx_out.append(ctx)
    return spec.handler(ctx, **inv.arguments)


def tenants_of(http: httpx.Client, name: str) -> dict[str, str]:
    """Tenant name -> status as the server reports it (``HOT``, ``COLD``...)."""
    return {t["name"]: t["activityStatus"] for t in
            http.get(f"/v1/schema/{name}/tenants").raise_for_status().json()}


def read_state(http: httpx.Client, name: str, tenants: list[str | None] | None = None) -> State:
    """Every object of ``name`` (of every tenant, or of ``tenants``) as backup lines."""
    cls = http.get(f"/v1/schema/{name}").raise_for_status().json()
    if tenants is None:
        tenants = sorted(tenants_of(http, name)) if cls["multiTenancyConfig"]["enabled"] \
            else [None]
    state: State = {}
    for tenant in tenants:
        after = ""
        while True:
            params = {"class": name, "limit": 37, "after": after, "include": "vector"}
            if tenant:
                params["tenant"] = tenant
            page = http.get("/v1/objects", params=params).raise_for_status().json()
            objects = page.get("objects") or []
            for obj in objects:
                state[(tenant, obj["id"])] = {
                    "id": obj["id"], "tenant": tenant, "properties": obj.get("properties"),
                    "vector": obj.get("vector"), "vectors": obj.get("vectors"),
                    "creationTimeUnix": obj.get("creationTimeUnix"),
                    "lastUpdateTimeUnix": obj.get("lastUpdateTimeUnix")}
            if len(objects) < 37:
                break
            after = objects[-1]["id"]
    return state


def comparable(state: State) -> dict[tuple[str | None, str], tuple[Any, ...]]:
    """What a restore must bring back: ids, properties and vectors (not the timestamps,
    which Weaviate sets to the batch time)."""
    return {key: (line["properties"], line["vector"], line["vectors"])
            for key, line in state.items()}


def snapshot(http: httpx.Client, name: str, directory: Path, backup_id: str, *,
             base: tuple[Path, State] | None = None, chunk: int = 40, codec: str = "none",
             statuses: dict[str, str] | None = None) -> tuple[Path, State]:
    """Back ``name`` up into ``directory`` (full, or incremental on ``base``); returns the
    manifest path (``NAME.ID.json``, copied to ``NAME.json``) and the state it holds."""
    cls = http.get(f"/v1/schema/{name}").raise_for_status().json()
    mt = cls["multiTenancyConfig"]["enabled"]
    tenants = [{"name": t, "activityStatus": (statuses or {}).get(t, s)}
               for t, s in sorted(tenants_of(http, name).items())] if mt else []
    state = read_state(http, name)
    old = base[1] if base else {}
    data = f"{name}.{backup_id}.data"
    chunks = []
    for tenant in [t["name"] for t in tenants] if mt else [None]:
        mine = sorted((k for k in state if k[0] == tenant), key=lambda k: k[1])
        changed = [state[k] for k in mine if comparable({k: state[k]}) != comparable(
            {k: old[k]} if k in old else {})]
        gone = sorted((k for k in old if k[0] == tenant and k not in state), key=lambda k: k[1])
        groups = [("objects", changed), ("deleted", [{"id": k[1], "tenant": tenant}
                                                     for k in gone]),
                  ("index", [{"id": k[1], "tenant": tenant,
                              "lastUpdateTimeUnix": state[k]["lastUpdateTimeUnix"]}
                             for k in mine])]
        for kind, lines in groups:
            for start in range(0, len(lines), chunk):
                relative = f"{data}/{len(chunks) + 1:06d}.jsonl"
                chunks.append(write_chunk(directory, relative, kind, tenant,
                                          lines[start:start + chunk], codec))
    manifest = Manifest(
        id=backup_id, kind="incremental" if base else "full", collection=name,
        source={"cluster": str(http.base_url), "server_version": "1.39.0"},
        started="2026-01-01T00:00:00Z", completed="2026-01-01T00:00:01Z", cls=cls,
        tenants=tenants, codec=codec,
        objects=sum(c.objects for c in chunks if c.kind == "objects"),
        deleted=sum(c.objects for c in chunks if c.kind == "deleted"),
        present=sum(c.objects for c in chunks if c.kind == "index"),
        base={"id": base[0].name.split(".")[1], "path": base[0].name} if base else None,
        chunks=chunks)
    path = directory / f"{name}.{backup_id}.json"
    path.write_bytes(manifest.to_json())
    shutil.copyfile(path, directory / f"{name}.json")
    return path, state


@contextmanager
def recording(http: httpx.Client):
    """Clear the sandbox's request log; yields a function returning the mutating requests
    made since."""
    http.delete("/__sandbox/requests").raise_for_status()
    yield lambda: [e for e in http.get("/__sandbox/requests").json() if e["mutating"]]


def progress_factory(calls: list[tuple[str, int | None]], on_advance=None):
    """A ``Session.progress`` recording ``(description, total)`` and every advance; the
    restore bar's advances call ``on_advance(done)``."""

    @contextmanager
    def progress(description: str, total: int | None, unit: str = "objects"):
        calls.append((description, total))
        done = [0]

        def advance(n: int) -> None:
            done[0] += n
            if on_advance is not None and description.startswith("restoring"):
                on_advance(done[0])

        yield advance

    return progress
