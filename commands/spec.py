"""How a meta-command is declared: once, read by every mode, ``\\help``, completion and audit.

``@command(...)`` only records a ``CommandSpec`` on the handler; ``Registry`` collects
specs from an explicit list of modules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Kind(StrEnum):
    """What a value is, which decides its conversion and its completion source."""

    TEXT = "text"
    INT = "int"
    NUMBER = "number"
    COLLECTION = "collection"
    PROPERTY = "property"
    TENANT = "tenant"
    UUID = "uuid"
    FILE = "file"
    PROFILE = "profile"
    COMMAND = "command"
    CHOICE = "choice"
    PATTERN = "pattern"
    URL = "url"
    ALIAS = "alias"
    USER = "user"
    ROLE = "role"
    NODE = "node"
    SHARD = "shard"
    PERMISSION = "permission"
    GRAPHQL = "graphql"


@dataclass(frozen=True, slots=True)
class Arg:
    """A positional argument. ``from_context`` defaults a collection to the current one.

    A ``rest`` argument (last, ``many``) takes every word from the first positional one that
    starts with a backslash or is not a number, options included: a command line to run
    (``\\watch 5 \\count Article --format json``). A ``verbatim`` one (the last) is the rest
    of the line as typed, unsplit and unquoted (a GraphQL query).
    """

    name: str
    kind: Kind = Kind.TEXT
    help: str = ""
    required: bool = True
    many: bool = False
    from_context: bool = False
    choices: tuple[str, ...] = ()
    rest: bool = False
    verbatim: bool = False
    dotted: bool = False
    """A COLLECTION that ``.PROPERTY`` may follow (``\\show Article.title``): completion
    offers the collection's properties after the dot."""


@dataclass(frozen=True, slots=True)
class Opt:
    """A ``--long`` option; ``flag`` options take no value. ``secret`` values are redacted.

    An option with a ``bare`` value may be given alone (``--compress`` means ``bare``) or
    with ``=VALUE`` (``--compress=gzip``); a following word is taken as its value only when
    the option is numeric and the word a number (``--watch 5``), never otherwise.
    """

    name: str
    kind: Kind = Kind.TEXT
    help: str = ""
    flag: bool = False
    default: Any = None
    choices: tuple[str, ...] = ()
    secret: bool = False
    many: bool = False
    bare: Any = None
    minimum: int | None = None
    """The least value of a numeric option: the parser refuses one below it."""

    @property
    def dest(self) -> str:
        return self.name.lstrip("-").replace("-", "_")


class KeywordOpt(Opt):
    """An option whose name is a Python keyword (``--as``): its handler parameter gets a
    trailing underscore (``as_``)."""

    __slots__ = ()

    @property
    def dest(self) -> str:
        return Opt.dest.fget(self) + "_"  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """Everything known about one meta-command."""

    name: str
    summary: str
    handler: Callable[..., Any]
    args: tuple[Arg, ...] = ()
    opts: tuple[Opt, ...] = ()
    aliases: tuple[str, ...] = ()
    help: str = ""
    group: str = "general"
    destructive: bool = False
    changes_schema: bool = False
    needs_connection: bool = True

    @property
    def usage(self) -> str:
        """One-line synopsis, e.g. ``\\objects COLLECTION [--limit INT]``."""
        parts = [f"\\{self.name}"]
        for arg in self.args:
            if not arg.rest:
                word = arg.name.upper() + (" ..." if arg.many else "")
                parts.append(word if arg.required and not arg.from_context else f"[{word}]")
        for opt in self.opts:
            word = "|".join(opt.choices) if opt.choices else opt.kind.value.upper()
            value = "" if opt.flag else f"[={word}]" if opt.bare is not None else f" {word}"
            parts.append(f"[{opt.name}{value}]")
        # a rest argument takes every word after it, options too: it comes last
        parts += [f"{arg.name.upper()} ..." for arg in self.args if arg.rest]
        return " ".join(parts)


def command(name: str, summary: str, **details: Any) -> Callable[[Callable[..., Any]],
                                                                 Callable[..., Any]]:
    """Attach a ``CommandSpec`` to a handler ``handler(ctx, **arguments) -> Result | list``."""

    def attach(handler: Callable[..., Any]) -> Callable[..., Any]:
        handler.spec = CommandSpec(name=name, summary=summary, handler=handler,  # type: ignore[attr-defined]
                                   **details)
        return handler

    return attach
