"""Shared by the ``\\backup`` tests: a registry of the backup commands, a ``run`` that calls
handlers directly, and readers for what a backup holds and what the cluster holds."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from commands.context import CommandContext, Session
from commands.meta import backup
from commands.ops.backup.format import Manifest, read_chunk
from commands.parse import bind, tokenize
from commands.registry import Registry
from commands.results import Record

REGISTRY = Registry.from_modules([backup])


def run(session: Session, line: str) -> Any:
    """Bind ``line`` to its declaration and call the handler (no dispatcher defaults)."""
    words = tokenize(line)
    spec = REGISTRY.find(words[0])
    inv = bind(spec, words[1:])
    return spec.handler(CommandContext(session, inv.arguments, REGISTRY), **inv.arguments)


def record(results: list[Any]) -> dict[str, Any]:
    """The fields of the one Record among a command's results."""
    found = [r for r in results if isinstance(r, Record)]
    assert len(found) == 1, results
    return found[0].fields


def lines(path: Path, kind: str = "objects") -> list[dict[str, Any]]:
    """Every entry (object, deletion or index entry) of the chunks of ``kind`` of the
    backup at ``path``, in order."""
    manifest = Manifest.load(path)
    return [line for chunk in manifest.chunks if chunk.kind == kind
            for line in read_chunk(path.parent, chunk, manifest.codec)]


def live(url: str, collection: str, tenant: str | None = None) -> dict[str, dict[str, Any]]:
    """Every object of a collection (one tenant) as the server lists it, with vectors."""
    out, after = {}, ""
    with httpx.Client(base_url=url, timeout=60) as http:
        while True:
            params = {"class": collection, "limit": 2000, "after": after, "include": "vector"}
            if tenant:
                params["tenant"] = tenant
            page = http.get("/v1/objects", params=params).json()["objects"]
            if not page:
                return out
            out.update((o["id"], o) for o in page)
            after = page[-1]["id"]


def replay(chain: list[Path]) -> dict[tuple[str | None, str], dict[str, Any]]:
    """What restoring a chain (oldest first) gives: objects keyed by (tenant, id)."""
    state: dict[tuple[str | None, str], dict[str, Any]] = {}
    for path in chain:
        for line in lines(path, "objects"):
            state[(line.get("tenant"), line["id"])] = line
        for line in lines(path, "deleted"):
            del state[(line["tenant"], line["id"])]
    return state


def same_object(line: dict[str, Any], obj: dict[str, Any]) -> bool:
    """True when a backup's object is exactly the server's object."""
    return line == obj


class Recorder:
    """A ``session.progress`` factory that records bars and advances, and can raise
    ``error`` once ``stop_after`` objects were advanced (an interruption between pages);
    ``on_bar`` is told each bar's description before it starts (a hook into the phases)."""

    def __init__(self, stop_after: int | None = None,
                 error: BaseException | None = None,
                 on_stop: Callable[[], None] | None = None,
                 on_bar: Callable[[str], None] | None = None) -> None:
        self.bars: list[tuple[str, int | None]] = []
        self.units: list[str] = []
        self.advanced = 0
        self.stop_after, self.error, self.on_stop = stop_after, error, on_stop
        self.on_bar = on_bar

    @contextmanager
    def __call__(self, description: str, total: int | None,
                 unit: str = "objects") -> Iterator[Callable[[int], None]]:
        self.bars.append((description, total))
        self.units.append(unit)
        if self.on_bar is not None:
            self.on_bar(description)

        def advance(n: int) -> None:
            self.advanced += n
            if self.stop_after is not None and self.advanced >= self.stop_after:
                self.stop_after = None
                if self.on_stop is not None:
                    self.on_stop()
                if self.error is not None:
                    raise self.error

        yield advance
