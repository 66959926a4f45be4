"""``elysiactl completion bash|zsh|fish``: a shell completion script for the one-shot CLI.

The script is generated from the same declarations as ``\\help`` and the README (commands,
aliases, options and their choices) and from the argument parsers of ``elysiactl`` and
``elysiactl sandbox``. It is static, but for collection and profile names: those a Tab asks
of ``elysiactl __complete`` (shell.complete_names), quiet and quick. Each shell
gets its tables (``completion_tables``) in its own syntax, followed by a walker that reads
them, kept as a file beside this module (shell/completion/).
"""

from __future__ import annotations

import argparse
import re
import shlex
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from commands.formats import FORMATS
from commands.registry import Registry
from commands.spec import CommandSpec, Kind
from shell.version import APP

SHELLS = ("bash", "zsh", "fish")
MODES = {"col": "run one meta-command", "collection": "run one meta-command (same as col)",
         "sandbox": "run the Weaviate emulator in the foreground",
         "completion": "print a shell completion script"}
TOP = APP  # the table key of elysiactl's own flags (no command is named so)
WORD = re.compile(r"[\w-]+( [\w-]+)?")  # names a shell can complete (not \?)
WALKERS = Path(__file__).with_name("completion")
# What a value slot completes: its choices, or one of these sources (the last two are asked
# of `elysiactl __complete`, shell.complete_names).
FILES, COMMANDS, COLLECTIONS, PROFILES = "files", "commands", "collections", "profiles"
SOURCES = {Kind.FILE: FILES, Kind.COMMAND: COMMANDS, Kind.COLLECTION: COLLECTIONS,
           Kind.PROFILE: PROFILES}


@dataclass
class Tables:
    """What the walkers look up, keyed by command (``ls``, ``tenant create``, TOP, sandbox).

    A value slot is ``KEY --option`` (the option's value) or ``KEY #N`` (the Nth positional
    argument); it holds choices (word to description) or a source (FILES, COMMANDS).
    """

    heads: dict[str, str] = field(default_factory=dict)
    subs: dict[str, dict[str, str]] = field(default_factory=dict)
    opts: dict[str, dict[str, str]] = field(default_factory=dict)
    takes: dict[str, list[str]] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)
    """Positional arguments: their number, with ``+`` when the last one repeats."""
    choices: dict[str, dict[str, str]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)


def completion_tables(registry: Registry, top: argparse.ArgumentParser,
                      sandbox: argparse.ArgumentParser) -> Tables:
    """The tables of every command and of both parsers."""
    tables = Tables(heads={k: v for k, v in registry.heads.items() if WORD.fullmatch(k)})
    for spec in registry.specs:
        for name in (n for n in (spec.name, *spec.aliases) if WORD.fullmatch(n)):
            first, _, second = name.partition(" ")
            if second:
                tables.subs.setdefault(first, {})[second] = spec.summary
            _add_command(tables, name, spec)
    for key, parser in ((TOP, top), ("sandbox", sandbox)):
        _add_parser(tables, key, parser)
    tables.args[TOP] = "1"
    tables.choices[f"{TOP} #1"] = MODES
    tables.args["completion"] = "1"
    tables.choices["completion #1"] = {shell: f"a script for {shell}" for shell in SHELLS}
    return tables


def _add_command(tables: Tables, key: str, spec: CommandSpec) -> None:
    opts = {o.name: o.help for o in spec.opts}
    opts |= {"--format": "output format for this command", "--help": "show this command's help"}
    tables.opts[key] = opts
    tables.takes[key] = [o.name for o in spec.opts if not o.flag and o.bare is None]
    tables.takes[key].append("--format")
    tables.choices[f"{key} --format"] = {f: "" for f in FORMATS}
    for opt in spec.opts:
        _add_slot(tables, f"{key} {opt.name}", opt.kind, opt.choices)
    if spec.args:
        tables.args[key] = f"{len(spec.args)}{'+' if spec.args[-1].many else ''}"
    for n, arg in enumerate(spec.args, 1):
        _add_slot(tables, f"{key} #{n}", arg.kind, arg.choices)


def _add_slot(tables: Tables, slot: str, kind: Kind, choices: Iterable[str]) -> None:
    if choices:
        tables.choices[slot] = dict.fromkeys(choices, "")
    elif kind in SOURCES:
        tables.sources[slot] = SOURCES[kind]


def _add_parser(tables: Tables, key: str, parser: argparse.ArgumentParser) -> None:
    opts: dict[str, str] = {}
    takes: list[str] = []
    for action in parser._actions:  # argparse has no public list of its actions
        if not action.option_strings or action.help == argparse.SUPPRESS:
            continue
        for flag in action.option_strings:
            opts[flag] = action.help or ""
            if action.nargs != 0:
                takes.append(flag)
                if action.choices:
                    tables.choices[f"{key} {flag}"] = dict.fromkeys(map(str, action.choices), "")
                elif action.dest == "profile":
                    tables.sources[f"{key} {flag}"] = PROFILES
                elif action.dest.endswith(("file", "dir")) or action.type is Path:
                    tables.sources[f"{key} {flag}"] = FILES
    tables.opts[key], tables.takes[key] = opts, takes


def script(shell: str, tables: Tables) -> str:
    """The completion script for ``shell``: its tables, then its walker."""
    data = {"bash": _bash, "zsh": _zsh, "fish": _fish}[shell](tables)
    walker = (WALKERS / f"{APP}.{shell}").read_text(encoding="utf-8")
    header = (f"# {APP} completion for {shell}, generated by `{APP} completion {shell}` from "
              f"the command declarations.\n")
    if shell == "zsh":  # the tag zsh looks for when it loads the file from $fpath
        header = f"#compdef {APP}\n" + header
    return header + data + "\n" + walker


def _bash(t: Tables) -> str:
    """Associative arrays of space-separated words (bash shows no descriptions)."""
    def array(name: str, entries: dict[str, Iterable[str] | str]) -> str:
        body = "".join(f"\n  [{shlex.quote(k)}]={shlex.quote(_words(v))}"
                       for k, v in entries.items())
        return f"declare -gA _{APP}_{name}=({body}\n)\n"

    return (f"_{APP}_heads={shlex.quote(' '.join(t.heads))}\n" + array("subs", t.subs)
            + array("opts", t.opts) + array("takes", t.takes) + array("args", t.args)
            + array("choices", t.choices) + array("sources", t.sources))


def _words(value: Iterable[str] | str) -> str:
    return value if isinstance(value, str) else " ".join(value)


def _zsh(t: Tables) -> str:
    """Associative arrays whose values are ``word:description`` lines, as _describe takes."""
    def lines(entries: dict[str, str]) -> str:
        return "\n".join(f"{w}:{_one_line(d)}" for w, d in entries.items())

    def array(name: str, entries: dict[str, str]) -> str:
        body = "".join(f"\n  {shlex.quote(k)} {shlex.quote(v)}" for k, v in entries.items())
        return f"typeset -gA _{APP}_{name}\n_{APP}_{name}=({body}\n)\n"

    return (f"typeset -g _{APP}_heads={shlex.quote(lines(t.heads))}\n"
            + array("subs", {k: lines(v) for k, v in t.subs.items()})
            + array("opts", {k: lines(v) for k, v in t.opts.items()})
            + array("takes", {k: " ".join(v) for k, v in t.takes.items()})
            + array("args", t.args)
            + array("choices", {k: lines(v) for k, v in t.choices.items()})
            + array("sources", t.sources))


def _fish(t: Tables) -> str:
    """One function answering ``TABLE KEY`` with lines ``word<TAB>description``."""
    cases = [("heads", "", t.heads)]
    cases += [("subs", k, v) for k, v in t.subs.items()]
    cases += [("opts", k, v) for k, v in t.opts.items()]
    cases += [("takes", k, dict.fromkeys(v, "")) for k, v in t.takes.items()]
    cases += [("args", k, {v: ""}) for k, v in t.args.items()]
    cases += [("choices", k, v) for k, v in t.choices.items()]
    cases += [("sources", k, {v: ""}) for k, v in t.sources.items()]
    out = [f"function __{APP}_table --argument-names table key",
           '    switch "$table $key"']
    for table, key, entries in cases:
        out.append(f"        case {_fish_quote(f'{table} {key}')}")
        out.append("            printf '%s\\n'" + "".join(
            " \\\n                " + _fish_quote(w + ("\t" + _one_line(d) if d else ""))
            for w, d in entries.items()))
    out += ["    end", "end", ""]
    return "\n".join(out)


def _fish_quote(text: str) -> str:
    """Fish single quotes: only ``\\`` and ``'`` are escaped inside them."""
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def main(argv: list[str]) -> int:
    """``elysiactl completion SHELL``: print the script; a missing or unknown shell is a
    usage error (exit 2)."""
    if len(argv) != 1 or argv[0] not in SHELLS:
        got = f" (not {argv[0]!r})" if argv and argv[0] not in SHELLS else ""
        print(f"{APP}: error: {APP} completion needs a shell: bash, zsh or fish{got}",
              file=sys.stderr)
        return 2
    from sandbox.__main__ import build_parser as sandbox_parser
    from shell.cli import build_parser
    from shell.cli_help import registry

    tables = completion_tables(registry(), build_parser(), sandbox_parser())
    sys.stdout.write(script(argv[0], tables))
    return 0
