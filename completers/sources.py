"""Where the candidates for each ``Kind`` come from: ``SOURCES[kind](context, suggestion)``.

Every source reads only memory (the snapshot, the registry, the callables the shell passed
in) and yields prompt_toolkit ``Completion`` objects that replace what was typed. Names
come from the snapshot's indexes (``completers.names``): those starting with what was typed
(ignoring case) first, then those with a later word that does; at most
``SourceContext.limit`` of them, then one "… N more" entry, so a keystroke never costs the
size of the cluster. A source must not do network I/O: tenants it does not have are asked
of ``SourceContext.tenants``, which only starts a background load.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from prompt_toolkit.completion import CompleteEvent, Completion, PathCompleter
from prompt_toolkit.document import Document

from commands.ops.rbac.permissions import ACTIONS, domain_of
from commands.parse import COMMON
from commands.registry import Registry
from commands.spec import Kind
from completers.metadata import MetadataSnapshot
from completers.names import Found, NameIndex, scan
from completers.suggest import Suggestion, What

__all__ = ["SOURCES", "Source", "SourceContext", "candidates"]

_NEEDS_QUOTING = re.compile(r"[\s'\"\\]")


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What the sources may read while completing one line."""

    snapshot: MetadataSnapshot
    registry: Registry
    current_collection: str | None = None
    profiles: Callable[[], Iterable[str]] = tuple
    tenants: Callable[[str], NameIndex | None] | None = None
    shards: Callable[[str], NameIndex | None] | None = None
    paths: PathCompleter | None = None
    limit: int = 100  # completions offered at most per slot, before "N more"

    def collection(self, suggestion: Suggestion) -> str | None:
        """The collection a property or tenant belongs to: named on the line, else current."""
        return self.snapshot.resolve(suggestion.collection or self.current_collection)


Source = Callable[[SourceContext, Suggestion], Iterable[Completion]]


def _quoted(name: str, quote: str) -> str:
    if not _NEEDS_QUOTING.search(name):
        return name
    if quote == '"':
        return name.replace("\\", "\\\\").replace('"', '\\"')
    if quote == "'":
        return name.replace("'", "'\\''")
    return _NEEDS_QUOTING.sub(lambda m: "\\" + m.group(), name)


def completion(s: Suggestion, name: str, meta: str = "",
               display: str | None = None) -> Completion:
    """A completion that replaces what was typed in the slot with ``name``, quoted as needed
    (shown as ``display``, by default the name)."""
    return Completion(s.lead + _quoted(name, s.lead or s.quote), start_position=-s.replace,
                      display=display or name, display_meta=meta)


def _matching(names: Iterable[str], prefix: str) -> Iterator[str]:
    key = prefix.lower()
    return (n for n in names if n.lower().startswith(key))


def _offer(ctx: SourceContext, s: Suggestion, found: Found,
           meta: Callable[[str, str], str] = lambda name, text: text) -> Iterator[Completion]:
    """At most ``ctx.limit`` of the names found, best first, each with ``meta(name, its
    text)``, then one entry saying how many more there are; choosing it inserts only what
    every match shares (or nothing)."""
    shown = 0
    for name, text in found.names:
        if shown == ctx.limit:
            break
        yield completion(s, name, meta(name, text))
        shown += 1
    rest = found.total - shown
    if rest <= 0:
        return
    label, hint = f"… {rest:,} more", "type more to narrow"
    if len(found.common) > len(s.prefix):
        yield completion(s, found.common, hint, display=label)
    else:
        yield Completion("", display=label, display_meta=hint)


def _commands(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
    if s.group:
        yield from _subcommands(ctx, s)
        return
    slash = "\\" if s.backslash or not s.replace else ""
    # Declaration order, not alphabetical: the everyday command of a group is declared first,
    # so \sh offers \show before \shards. A group is offered once, by its first word.
    for name, summary in ctx.registry.heads.items():
        if name.lower().startswith(s.prefix.lower()):
            yield Completion(s.lead + slash + name, start_position=-s.replace,
                             display=slash + name, display_meta=summary)


def _subcommands(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
    for sub in _matching(ctx.registry.subcommands(s.group), s.prefix):
        yield completion(s, sub, ctx.registry.find(f"{s.group} {sub}").summary)


def _collections(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
    snap = ctx.snapshot

    def meta(name: str, _: str) -> str:
        count = snap.properties.count(name)
        tenancy = ", multi-tenant" if name in snap.multi_tenant else ""
        return f"{count} propert{'y' if count == 1 else 'ies'}{tenancy}"

    yield from _offer(ctx, s, snap.names("collections").find(s.prefix), meta)


def _properties(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
    name = ctx.collection(s)
    if name is None:
        return
    yield from _offer(ctx, s, scan(ctx.snapshot.properties[name], s.prefix))


def _listed(ctx: SourceContext, s: Suggestion, names: NameIndex | None) -> Iterator[Completion]:
    """Tenants, shards or aliases with the text each carries (status, target)."""
    if names:
        yield from _offer(ctx, s, names.find(s.prefix))


def _tenants(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
    name = ctx.collection(s)
    if name is not None and ctx.tenants is not None:
        yield from _listed(ctx, s, ctx.tenants(name))


def _shards(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
    """A multi-tenant collection's shards are its tenants; another's come from its list."""
    name = ctx.collection(s)
    if name is None:
        return
    if name in ctx.snapshot.multi_tenant:
        yield from _tenants(ctx, s)
    elif ctx.shards is not None:
        yield from _listed(ctx, s, ctx.shards(name))


def _aliases(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
    yield from _offer(ctx, s, ctx.snapshot.aliases.find(s.prefix),
                      lambda _, collection: f"alias of {collection}")


def _named(kind: str) -> Source:
    """A source offering the snapshot's ``kind`` names (nodes, users, roles)."""
    meta = kind.removesuffix("s")

    def source(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
        yield from _offer(ctx, s, ctx.snapshot.names(kind).find(s.prefix), lambda *_: meta)

    return source


def _profiles(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
    for name in _matching(sorted(set(ctx.profiles())), s.prefix):
        yield completion(s, name, "profile")


def _files(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
    paths = ctx.paths or PathCompleter(expanduser=True)
    for found in paths.get_completions(Document(s.prefix), CompleteEvent()):
        # PathCompleter inserts the rest of the name at the cursor (start_position 0).
        yield Completion(_quoted(found.text, s.quote), start_position=found.start_position,
                         display=found.display, display_meta=found.display_meta)


def _permissions(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
    """``ACTION`` from Weaviate's list, then, after ``ACTION:``, a collection where the
    action's target starts with one."""
    action, colon, target = s.prefix.partition(":")
    if not colon:
        for name in _matching(ACTIONS, s.prefix):
            yield completion(s, name, domain_of(name).target)
        return
    if action in ACTIONS and domain_of(action).fields[:1] == ("collection",):
        found = ctx.snapshot.names("collections").find(target)
        named = Found(((f"{action}:{name}", "collection") for name, _ in found.names),
                      found.total, found.common and f"{action}:{found.common}")
        yield from _offer(ctx, s, named)


def _nothing(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
    return iter(())


SOURCES: dict[Kind, Source] = {
    Kind.COMMAND: _commands,
    Kind.COLLECTION: _collections,
    Kind.PATTERN: _collections,
    Kind.PROPERTY: _properties,
    Kind.TENANT: _tenants,
    Kind.PROFILE: _profiles,
    Kind.FILE: _files,
    Kind.TEXT: _nothing,
    Kind.INT: _nothing,
    Kind.NUMBER: _nothing,
    Kind.UUID: _nothing,
    Kind.CHOICE: _nothing,  # choices are declared on the Arg/Opt and matched generically
    Kind.URL: _nothing,
    Kind.ALIAS: _aliases,
    Kind.USER: _named("users"),
    Kind.ROLE: _named("roles"),
    Kind.NODE: _named("nodes"),
    Kind.SHARD: _shards,
    Kind.PERMISSION: _permissions,
    Kind.GRAPHQL: _nothing,  # a query's inside is completed by completers.graphql
}


def _options(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
    assert s.spec is not None
    for opt in (*s.spec.opts, *COMMON):
        if (opt.many or opt.name not in s.used) and opt.name.lower().startswith(s.prefix.lower()):
            yield completion(s, opt.name, opt.help)


def candidates(ctx: SourceContext, s: Suggestion) -> Iterator[Completion]:
    """Every completion for suggestion ``s``: option names, declared choices, or the kind's."""
    if s.what is What.OPTION and s.spec is not None:
        yield from _options(ctx, s)
    elif s.what is What.VALUE and s.choices:
        for choice in _matching(s.choices, s.prefix):
            yield completion(s, choice)
    elif s.what is What.VALUE and s.kind is not None:
        yield from SOURCES.get(s.kind, _nothing)(ctx, s)
