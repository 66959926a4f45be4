"""``MetaCommandCompleter``: the prompt_toolkit completer for meta-command lines.

It asks ``suggest`` what is under the cursor and ``SOURCES`` which names match, reading one
``MetadataSnapshot`` reference per call. It never does network I/O itself: a tenant list it
does not have yet is requested from the refresher, which loads it in the background; with
``tenant_wait`` > 0 it waits that long for the answer, which is only acceptable when it runs
in ``ThreadedCompleter``'s thread (as the shell wraps it), never on the UI thread while
typing (an explicit Tab, ``shell.tab``, may wait that long).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from commands.registry import Registry
from completers import graphql
from completers.metadata import MetadataCache
from completers.names import NameIndex
from completers.refresher import MetadataRefresher
from completers.sources import SourceContext, candidates
from completers.suggest import What, suggest

__all__ = ["MetaCommandCompleter"]


class MetaCommandCompleter(Completer):
    """Completes command names, options, choices, collections, properties, tenants, shards,
    aliases, nodes, users, roles, profiles and file paths, from the declarations in
    ``registry`` and the ``cache``; inside a GraphQL query, ``completers.graphql``.

    :param current_collection: the session's current collection (``\\use``), read per call.
    :param profiles: the profile names from the config, read per call.
    :param refresher: loads tenants and shards lazily; without one, only cached ones are offered.
    :param tenant_wait: seconds to wait for a tenant or shard list being loaded (0: never).
    :param limit: names offered at most per slot; an entry after them says how many more.
    """

    def __init__(self, registry: Registry, cache: MetadataCache,
                 current_collection: Callable[[], str | None] = lambda: None,
                 profiles: Callable[[], Iterable[str]] = tuple,
                 refresher: MetadataRefresher | None = None, *,
                 tenant_wait: float = 0.0, limit: int = 100) -> None:
        self.registry = registry
        self.cache = cache
        self.current_collection = current_collection
        self.profiles = profiles
        self.refresher = refresher
        self.tenant_wait = tenant_wait
        self.limit = limit
        self.paths = PathCompleter(expanduser=True)

    def get_completions(self, document: Document,
                        complete_event: CompleteEvent) -> Iterator[Completion]:
        """Completions for the text before the cursor."""
        text = document.text_before_cursor
        if graphql.query_start(text) is not None:
            yield from graphql.completions(text, self.cache.snapshot, self.limit)
            return
        s = suggest(text, self.registry)
        if s.what is What.NOTHING:
            return
        ctx = SourceContext(snapshot=self.cache.snapshot, registry=self.registry,
                            current_collection=self.current_collection(),
                            profiles=self.profiles, tenants=self._tenants,
                            shards=self._shards, paths=self.paths, limit=self.limit)
        yield from candidates(ctx, s)

    def _tenants(self, collection: str) -> NameIndex | None:
        """Cached tenants of ``collection``; if absent, start loading them in the background."""
        if collection not in self.cache.snapshot.multi_tenant:
            return self.cache.snapshot.tenants.get(collection)
        return self._loaded("tenants", collection)

    def _shards(self, collection: str) -> NameIndex | None:
        """Cached shards of ``collection``; if absent, start loading them in the background."""
        return self._loaded("shards", collection)

    def _loaded(self, kind: str, collection: str) -> NameIndex | None:
        known = getattr(self.cache.snapshot, kind).get(collection)
        if known is not None or self.refresher is None:
            return known
        load = self.refresher.load_tenants if kind == "tenants" else self.refresher.load_shards
        loaded = load(collection)
        if self.tenant_wait > 0 and loaded.wait(self.tenant_wait):
            return getattr(self.cache.snapshot, kind).get(collection)
        return None
