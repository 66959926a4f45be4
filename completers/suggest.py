"""What is being typed at the cursor: ``suggest(text_before_cursor, registry) -> Suggestion``.

Pure: it reads the command declarations and the text, never metadata, the network or the
session, so it can be tested with tables of lines (pgcli ``suggest_type``). It tokenises as
the parser does (shell words, backslash escapes) but tolerates an unclosed quote, and finds
the slot under the cursor: the command name, an option name, an option's value, or a
positional argument, with its ``Kind`` and the collection named earlier on the line.
It must not match names; ``meta.py`` does that.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from commands.errors import UsageError
from commands.parse import COMMON, choices_of, starts_rest
from commands.registry import Registry
from commands.spec import Arg, CommandSpec, Kind, Opt

__all__ = ["Suggestion", "What", "suggest", "words"]

QUOTES = "'\""
_COLLECTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_CAPITALISED = re.compile(r"[A-Z][A-Za-z0-9_]*\Z")
_LISTS = (Kind.COLLECTION, Kind.PROPERTY, Kind.TENANT)  # names without commas: "a,b" lists


class What(StrEnum):
    """The sort of thing under the cursor."""

    VALUE = "value"  # a value of ``kind`` (the first word is a value of Kind.COMMAND)
    OPTION = "option"  # an option name of ``spec``
    NOTHING = "nothing"  # nothing completable (unknown command, no slot left)


@dataclass(frozen=True, slots=True)
class Suggestion:
    """The slot under the cursor and how a completion replaces what was typed.

    ``prefix`` is the typed text to match (quotes and escapes removed); a completion
    replaces the last ``replace`` characters before the cursor with ``lead`` + its text.
    ``collection`` is the collection named earlier on the line, or before the ``.`` of
    ``Collection.prop`` (``dotted``); ``None`` means "the current collection, if any".
    ``group`` is set when the word is a subcommand of that group (``\\tenant cr``).
    """

    what: What
    prefix: str = ""
    replace: int = 0
    kind: Kind | None = None
    spec: CommandSpec | None = None
    arg: Arg | None = None
    option: Opt | None = None
    choices: tuple[str, ...] = ()
    collection: str | None = None
    group: str = ""  # a subcommand of this group is being typed (kind COMMAND)
    dotted: bool = False
    used: frozenset[str] = frozenset()
    lead: str = ""
    quote: str = ""
    backslash: bool = False


@dataclass(frozen=True, slots=True)
class Word:
    """A shell word: its value, where it starts, and where each value character ends."""

    value: str
    start: int
    ends: tuple[int, ...]
    quote: str = ""  # the quote still open at the end of the word

    def raw_start(self, offset: int) -> int:
        """Raw index where the value from ``offset`` on begins (after what precedes it)."""
        return self.start if offset == 0 else self.ends[offset - 1]


def words(text: str) -> tuple[list[Word], bool]:
    """Shell words of ``text`` and whether the last one is still being typed.

    Like ``shlex.split(posix=True)`` but an unclosed quote is allowed (it ends the text).
    """
    out: list[Word] = []
    value: list[str] = []
    ends: list[int] = []
    start: int | None = None
    quote = ""
    i, n = 0, len(text)

    def take(j: int) -> None:
        """Keep the character at ``j``, remembering where it ends in ``text``."""
        value.append(text[j])
        ends.append(j + 1)

    while i < n:
        ch = text[i]
        if quote:
            if ch == quote:
                quote = ""
            elif quote == '"' and ch == "\\" and i + 1 < n and text[i + 1] in '"\\$`':
                i += 1
                take(i)
            else:
                take(i)
        elif ch.isspace():
            if start is not None:
                out.append(Word("".join(value), start, tuple(ends)))
                value, ends, start = [], [], None
        else:
            if start is None:
                start = i
            if ch in QUOTES:
                quote = ch
            elif ch == "\\":
                if i + 1 < n:
                    i += 1
                    take(i)
            else:
                take(i)
        i += 1
    if start is not None:
        out.append(Word("".join(value), start, tuple(ends), quote))
        return out, True
    return out, False


def suggest(text_before_cursor: str, registry: Registry) -> Suggestion:
    """What kind of value is being typed at the end of ``text_before_cursor``."""
    all_words, typing = words(text_before_cursor)
    end = len(text_before_cursor)
    current = all_words.pop() if typing else Word("", end, (), "")
    if not all_words:
        return _value(text_before_cursor, current, 0, Kind.COMMAND)
    group = all_words[0].value.lstrip("\\")
    if len(all_words) == 1 and registry.subcommands(group):
        return _value(text_before_cursor, current, 0, Kind.COMMAND, group=group)
    try:
        spec, used = registry.resolve([w.value for w in all_words])
    except UsageError:
        return Suggestion(What.NOTHING)
    inner = _rest_start(spec, all_words[used:], current)
    if inner is not None:  # \watch 5 \count Art: the command line it runs, as if alone
        return suggest(text_before_cursor[inner:], registry)
    return _in_command(text_before_cursor, spec, all_words[used:], current)


def _rest_start(spec: CommandSpec, before: list[Word], current: Word) -> int | None:
    """Where the command line of a ``rest`` argument begins (``\\watch 5 --count 3 \\ls``),
    if the cursor is in it; an option's value or a number before it is not its start."""
    if not any(arg.rest for arg in spec.args):
        return None
    options = {o.name: o for o in (*spec.opts, *COMMON)}
    value_next = False
    for word in (*before, current):
        if value_next:
            value_next = False
            continue
        name, eq, _ = word.value.partition("=")
        opt = options.get(name)
        if opt is not None:
            value_next = not opt.flag and not eq and opt.bare is None
        elif starts_rest(word.value):
            return word.start
    return None


def _in_command(text: str, spec: CommandSpec, before: list[Word], current: Word) -> Suggestion:
    options = {o.name: o for o in (*spec.opts, *COMMON)}
    used: set[str] = set()
    collection: str | None = None
    position = 0
    pending: Opt | None = None  # an option whose value comes next
    literal = False  # after "--" everything is positional
    for word in before:
        value = word.value
        if pending is not None:
            if pending.kind is Kind.COLLECTION and collection is None:
                collection = value
            pending = None
        elif not literal and value == "--":
            literal = True
        elif not literal and value.startswith("--") and len(value) > 2:
            name, eq, inline = value.partition("=")
            used.add(name)
            opt = options.get(name)
            if opt is not None and not opt.flag:
                if not eq:
                    pending = opt
                elif opt.kind is Kind.COLLECTION and collection is None:
                    collection = inline
        else:
            arg = _arg_at(spec, position)
            if arg is not None and arg.kind is Kind.COLLECTION and collection is None:
                collection = value
            position += 1
    common = {"spec": spec, "collection": collection, "used": frozenset(used)}
    if pending is not None:
        return _value(text, current, 0, pending.kind, option=pending,
                      choices=choices_of(spec, pending), **common)
    value = current.value
    if not literal and value.startswith("-"):
        name, eq, _ = value.partition("=")
        opt = options.get(name)
        if eq and opt is not None and not opt.flag:
            return _value(text, current, len(name) + 1, opt.kind, option=opt,
                          choices=choices_of(spec, opt), **common)
        return _span(text, current, 0, What.OPTION, **common)
    arg = _arg_at(spec, position)
    if arg is None:
        what = What.OPTION if not value and not literal else What.NOTHING
        return _span(text, current, 0, what, **common)
    return _value(text, current, 0, arg.kind, arg=arg, choices=arg.choices, **common)


def _arg_at(spec: CommandSpec, position: int) -> Arg | None:
    if position < len(spec.args):
        return spec.args[position]
    if spec.args and spec.args[-1].many:
        return spec.args[-1]
    return None


def _value(text: str, word: Word, offset: int, kind: Kind, **details: object) -> Suggestion:
    """A value of ``kind`` starting at value ``offset`` of ``word``: lists and dotted names."""
    value = word.value[offset:]
    if kind in _LISTS and "," in value:
        offset += value.rindex(",") + 1
        value = word.value[offset:]
    arg = details.get("arg")
    dotted = kind is Kind.COLLECTION and isinstance(arg, Arg) and arg.dotted  # \show A.prop
    if (kind in (Kind.PROPERTY, Kind.TEXT) or dotted) and "." in value:
        head, _, tail = value.partition(".")
        pattern = _CAPITALISED if kind is Kind.TEXT else _COLLECTION_NAME
        if pattern.match(head) and "." not in tail:
            details["collection"] = head
            details["dotted"] = True
            kind = Kind.PROPERTY
            offset += len(head) + 1
    return _span(text, word, offset, What.VALUE, kind=kind, **details)


def _span(text: str, word: Word, offset: int, what: What, **details: object) -> Suggestion:
    start = word.raw_start(offset)
    raw = text[start:]
    lead = raw[0] if raw[:1] and raw[0] in QUOTES and raw.count(raw[0]) == 1 else ""
    return Suggestion(what, prefix=word.value[offset:], replace=len(text) - start, lead=lead,
                      quote=word.quote, backslash=raw.startswith("\\"),
                      **details)  # type: ignore[arg-type]
