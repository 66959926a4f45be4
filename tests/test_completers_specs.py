"""A small registry of dummy commands that the completer tests share, and checks on it.

The real commands are declared elsewhere; completion must work off ``Kind`` alone, so
these declarations cover every kind of slot: positional and option values, defaulted
collections, lists, choices, ``many`` arguments, flags and aliases.
"""

from __future__ import annotations

from typing import Any

from commands.parse import parse
from commands.registry import Registry
from commands.spec import Arg, Kind, Opt, command
from completers.sources import SOURCES


def _noop(ctx: Any, **arguments: Any) -> None:
    return None


def _spec(name: str, summary: str, **details: Any) -> Any:
    return command(name, summary, **details)(_noop).spec


SPECS = [
    _spec("ls", "List collections.", args=(Arg("pattern", Kind.PATTERN, required=False),),
          opts=(Opt("--verbose", flag=True, help="add counts"),)),
    _spec("show", "Describe a collection.", aliases=("d",),
          args=(Arg("collection", Kind.COLLECTION, from_context=True),),
          opts=(Opt("--schema", flag=True, help="print the class JSON"),)),
    _spec("objects", "List objects of a collection.",
          args=(Arg("collection", Kind.COLLECTION, from_context=True),),
          opts=(Opt("--limit", Kind.INT, "how many"), Opt("--tenant", Kind.TENANT, "tenant"),
                Opt("--properties", Kind.PROPERTY, "properties to show"),
                Opt("--include", Kind.PROPERTY, "repeatable", many=True),
                Opt("--vector", flag=True, help="show vectors"))),
    _spec("tenants", "List or pick tenants.",
          args=(Arg("collection", Kind.COLLECTION),
                Arg("tenant", Kind.TENANT, required=False, many=True))),
    _spec("sort", "Sort the current collection.", args=(Arg("property", Kind.PROPERTY),)),
    _spec("where", "Filter a collection.",
          args=(Arg("collection", Kind.COLLECTION), Arg("expression", Kind.TEXT))),
    _spec("copy", "Copy objects.", opts=(Opt("--from", Kind.COLLECTION, "source"),
                                         Opt("--properties", Kind.PROPERTY, "which"))),
    _spec("connect", "Connect to a cluster.", args=(Arg("target", Kind.PROFILE),)),
    _spec("i", "Run commands from a file.", args=(Arg("file", Kind.FILE),)),
    _spec("help", "Show help.", aliases=("?",),
          args=(Arg("command", Kind.COMMAND, required=False),)),
    _spec("set", "Change a setting.",
          args=(Arg("name", Kind.CHOICE, choices=("format", "expanded")),
                Arg("value", Kind.TEXT))),
    _spec("get", "Fetch one object.",
          args=(Arg("collection", Kind.COLLECTION), Arg("id", Kind.UUID))),
    _spec("q", "Quit.", needs_connection=False),
]
REGISTRY = Registry(SPECS)


def test_every_kind_has_a_completion_source() -> None:
    assert set(SOURCES) == set(Kind)


def test_the_dummy_registry_covers_every_kind() -> None:
    used = {a.kind for s in SPECS for a in s.args} | {o.kind for s in SPECS for o in s.opts}
    assert used >= {Kind.COLLECTION, Kind.PROPERTY, Kind.TENANT, Kind.FILE, Kind.PROFILE,
                    Kind.COMMAND, Kind.CHOICE, Kind.PATTERN, Kind.TEXT, Kind.INT, Kind.UUID}


def test_the_dummy_registry_parses_like_real_commands() -> None:
    inv = parse(r"\objects Article --properties title,body --tenant acme --format json",
                REGISTRY)
    assert inv.arguments["collection"] == "Article"
    assert inv.arguments["tenant"] == "acme"
    assert inv.format == "json"
