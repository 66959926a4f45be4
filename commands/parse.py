"""Turn a command line into an ``Invocation``: tokenise like a shell, bind to the spec.

``--format`` and ``--help`` are accepted by every command (``--format parquet`` is the
command's ``--file-format`` where it has one). Values are converted by
kind (``INT``, ``NUMBER``); a ``COLLECTION`` argument marked ``from_context`` is left ``None``
when absent, for the dispatcher to fill from the session.
"""

from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from typing import Any

from commands import shellwords
from commands.errors import UsageError, excerpt
from commands.formats import FORMATS
from commands.registry import Registry
from commands.spec import CommandSpec, Kind, Opt
from commands.urls import EXAMPLES, check_url

NUMBER = re.compile(r"[0-9]+(\.[0-9]*)?|\.[0-9]+")  # non-negative, as intervals and sizes are
# ASCII digits only: int() also takes "1_000", " 12 ", "+3" and other scripts' digits ("١٢٣")
INTEGER = re.compile(r"-?[0-9]+")
# C0 and C1 control characters but tab, newline and CR (a GraphQL query keeps them): no name,
# path or value needs one, and one in a request path makes the HTTP client fail.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
NAME_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")  # a Weaviate name holds no tab or newline either
NAMES = {Kind.COLLECTION, Kind.PROPERTY, Kind.TENANT, Kind.UUID, Kind.FILE, Kind.PROFILE,
         Kind.URL, Kind.ALIAS, Kind.USER, Kind.ROLE, Kind.NODE, Kind.SHARD, Kind.COMMAND}
"""Kinds that name something: never empty."""
NAME_MAX = 255  # bytes in one file name: Linux, macOS and Windows file systems
COMMON = (Opt("--format", Kind.CHOICE, "output format for this command", choices=FORMATS),
          Opt("--help", flag=True, help="show this command's help"))


@dataclass(slots=True)
class Invocation:
    """A bound command line."""

    spec: CommandSpec
    arguments: dict[str, Any] = field(default_factory=dict)
    format: str | None = None
    help: bool = False


def tokenize(line: str) -> list[str]:
    """Shell-like words; an unclosed quote is a usage error."""
    try:
        return shellwords.split(line)
    except ValueError as exc:
        raise UsageError(f"cannot parse the line: {exc}") from None


def _convert(spec: CommandSpec, name: str, kind: Kind, value: str,
             choices: tuple[str, ...]) -> Any:
    # ``parse`` refused the line's other control characters: a name refuses tabs and breaks
    if kind in NAMES and kind is not Kind.FILE and (control := NAME_CONTROL.search(value)):
        raise UsageError(f"{name}: {excerpt(value)!r} holds the control character {control[0]!r}",
                         "retype it without control characters")
    if not value and kind in NAMES:
        raise UsageError(f"{name} is empty: it names a {kind.value}", f"usage: {spec.usage}")
    if kind is Kind.FILE and (long := max(len(os.fsencode(p)) for p in value.split(os.sep))) \
            > NAME_MAX:
        raise UsageError(f"{name}: a file name in {excerpt(value)!r} is {long} bytes long; "
                         f"file systems allow {NAME_MAX}", f"usage: {spec.usage}")
    if choices and value not in choices:
        raise UsageError(f"{name}: {excerpt(value)!r} is not one of {', '.join(choices)}",
                         f"usage: {spec.usage}")
    if kind is Kind.INT:
        try:
            whole = int(value) if INTEGER.fullmatch(value) else None
        except ValueError:  # more digits than int() converts
            whole = 2**63
        if whole is None:
            raise UsageError(f"{name} expects a whole number, got {excerpt(value)!r}",
                             f"usage: {spec.usage}")
        if abs(whole) >= 2**63:  # past what Weaviate (Go int64) and time.sleep take
            raise UsageError(f"{name}: {value[:20]}... is out of range", f"usage: {spec.usage}")
        return whole
    if kind is Kind.NUMBER:
        if not NUMBER.fullmatch(value):
            raise UsageError(f"{name} expects a number, got {excerpt(value)!r}",
                             f"usage: {spec.usage}")
        if not math.isfinite(number := float(value)):
            raise UsageError(f"{name}: {value[:20]}... is out of range", f"usage: {spec.usage}")
        return number
    if kind is Kind.URL:  # the option's own help says what it takes (--metrics-url: port 2112)
        check_url(value, f"{name} ", next((o.help for o in spec.opts if o.name == name), EXAMPLES))
    return value


def _takes_next(opt: Opt, words: list[str], i: int) -> bool:
    """Whether an option with a ``bare`` value takes the next word: a number, for a numeric
    option (collection names and patterns start with a letter)."""
    return (opt.kind in (Kind.INT, Kind.NUMBER) and i + 1 < len(words)
            and NUMBER.fullmatch(words[i + 1]) is not None)


def parse(line: str, registry: Registry) -> Invocation:
    """Bind ``\\name args...`` to its declaration; a control character in the line (other
    than a tab or a line break) is a usage error, before it reaches a name or a message."""
    if (control := CONTROL.search(line)) is not None:
        raise UsageError(f"the line holds a control character ({control[0]!r} at column "
                         f"{control.start() + 1})", "retype it, or check the script's encoding")
    verbatim = _verbatim(line, registry)
    if verbatim is not None:
        return verbatim
    words = tokenize(line)
    if words[1:] == ["--help"] and registry.group_only(words[0]):
        words = ["help", words[0]]  # a group without a command of its own: list its members
    spec, used = registry.resolve(words)
    return bind(spec, words[used:])


_WORD = re.compile(r"\s*(\S+)\s*(.*)", re.DOTALL)


def _verbatim(line: str, registry: Registry) -> Invocation | None:
    """A command whose last argument is ``verbatim`` (``\\graphql QUERY``): the options
    before it are shell words, the rest of the line is that argument as typed (GraphQL's
    quotes, braces and newlines kept), or unquoted when it is one quoted shell word. None for
    any other command."""
    head = _WORD.match(line)
    if head is None:
        return None
    try:
        spec, _ = registry.resolve([head[1]])
    except UsageError:
        return None
    if not spec.args or not spec.args[-1].verbatim:
        return None
    options = {o.name: o for o in (*spec.opts, *COMMON)}
    words: list[str] = []
    rest = head[2]
    while rest.startswith("--") and (word := _WORD.match(rest)) is not None:
        words.append(word[1])
        rest = word[2]
        opt = options.get(word[1])
        if opt is not None and not opt.flag and (value := _WORD.match(rest)) is not None:
            words.append(value[1])
            rest = value[2]
    if rest[:1] in ("'", '"'):  # quoted as a shell word (the one-shot CLI quotes it so)
        quoted = tokenize(rest)
        rest = quoted[0] if len(quoted) == 1 else rest
    return bind(spec, [*words, "--", rest] if rest else words)


def bind(spec: CommandSpec, words: list[str]) -> Invocation:
    """Bind argument words to ``spec``."""
    inv = Invocation(spec)
    options = {o.name: o for o in (*spec.opts, *COMMON)}
    values: dict[str, Any] = {o.dest: ([] if o.many else (False if o.flag else o.default))
                              for o in spec.opts}
    positional: list[str] = []
    rest = next((a for a in spec.args if a.rest), None)
    i = 0
    while i < len(words):
        word = words[i]
        if rest is not None and starts_rest(word):
            values[rest.name] = words[i:]
            break
        if word == "--":
            positional += words[i + 1:]
            break
        if word.startswith("--") and len(word) > 2:
            name, eq, inline = word.partition("=")
            opt = options.get(name)
            if opt is None:
                close = [o for o in options if o.startswith(name)]
                hint = f"did you mean {close[0]}?" if len(close) == 1 else f"usage: {spec.usage}"
                raise UsageError(f"\\{spec.name}: unknown option {name}", hint)
            if opt.flag:
                if eq:
                    raise UsageError(f"{name} takes no value", f"usage: {spec.usage}")
                value: Any = True
            elif opt.bare is not None and not eq and not _takes_next(opt, words, i):
                value = opt.bare
            else:
                if not eq:
                    i += 1
                    # the next option is not this one's value: --target --format json
                    if i >= len(words) or words[i].partition("=")[0] in options:
                        raise UsageError(f"{name} needs a value", f"usage: {spec.usage}")
                    inline = words[i]
                name, opt = _file_format(options, name, opt, inline)
                value = _convert(spec, name, opt.kind, inline, opt.choices)
                if opt.minimum is not None and value < opt.minimum:
                    raise UsageError(f"{name} must be at least {opt.minimum}, got "
                                     f"{excerpt(inline)}", f"usage: {spec.usage}")
            if name == "--format":
                inv.format = value
            elif name == "--help":
                inv.help = True
            elif opt.many:
                values[opt.dest].append(value)
            else:
                values[opt.dest] = value
        else:
            positional.append(word)
        i += 1
    if inv.help:
        return inv
    _bind_positional(spec, positional, values)
    inv.arguments = values
    return inv


def choices_of(spec: CommandSpec, opt: Opt) -> tuple[str, ...]:
    """The values ``opt`` takes on ``spec``: its own choices, and for ``--format`` on a
    command with a ``--file-format`` those too (see ``_file_format``); for completion."""
    files = next((o for o in spec.opts if o.name == "--file-format"), None)
    if opt.name != "--format" or files is None:
        return opt.choices
    return opt.choices + tuple(c for c in files.choices if c not in opt.choices)


def _file_format(options: dict[str, Opt], name: str, opt: Opt, value: str) -> tuple[str, Opt]:
    """``--format parquet`` on a command whose ``--file-format`` takes ``parquet`` (no output
    format has that name) means ``--file-format parquet``; any other option is itself."""
    files = options.get("--file-format")
    if name == "--format" and files is not None and value in files.choices \
            and value not in opt.choices:
        return files.name, files
    return name, opt


def starts_rest(word: str) -> bool:
    """Whether ``word`` opens a ``rest`` argument: a command, not an option or a number."""
    return word.startswith("\\") or not (word.startswith("-") or NUMBER.fullmatch(word))


def _bind_positional(spec: CommandSpec, words: list[str], values: dict[str, Any]) -> None:
    rest = list(words)
    # With fewer words than arguments, context-defaulted ones (the current collection) are
    # the ones left out: ``\get UUID`` means ``\get CURRENT UUID``.
    skip = max(0, sum(1 for a in spec.args if not a.many) - len(rest))
    for arg in spec.args:
        if arg.rest:
            if arg.required and not values.get(arg.name):
                raise UsageError(f"\\{spec.name}: missing {arg.name.upper()}",
                                 f"usage: {spec.usage}")
            values.setdefault(arg.name, [])
            continue
        if arg.from_context and skip and not arg.many:
            skip -= 1
            values[arg.name] = None
            continue
        if arg.many:
            values[arg.name] = [_convert(spec, arg.name.upper(), arg.kind, w, arg.choices)
                               for w in rest]
            rest = []
        elif rest:
            values[arg.name] = _convert(spec, arg.name.upper(), arg.kind, rest.pop(0),
                                        arg.choices)
        elif arg.required and not arg.from_context:
            raise UsageError(f"\\{spec.name}: missing {arg.name.upper()}",
                             f"usage: {spec.usage}")
        else:
            values[arg.name] = None
    if rest:
        raise UsageError(f"\\{spec.name}: unexpected argument {excerpt(rest[0])!r}",
                         f"usage: {spec.usage}")
