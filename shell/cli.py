"""Process flags of ``elysiactl`` (the meta-commands have their own declarations).

This module is the cheap path: ``--version``, ``--help`` and every argument error are
answered here, with nothing but the standard library loaded, before ``shell.start``
imports prompt_toolkit, httpx or rich. Checks that need only argv belong here too.
"""

from __future__ import annotations

import argparse

from commands.errors import UsageError
from commands.formats import FORMATS
from shell.version import APP, version_line

ONE_SHOT_WORDS = ("col", "collection")

EPILOG = r"""modes:
  elysiactl                       the interactive shell (when stdin and stdout are terminals)
  elysiactl -c '\ls' -c '\nodes'  run commands and exit
  elysiactl -f ops.txt            run a script file; elysiactl < ops.txt does the same
  elysiactl col ls --format json  one meta-command (col or collection, then its name)
  elysiactl sandbox [--port N]    run the Weaviate emulator in the foreground
  elysiactl completion bash       print a completion script (bash, zsh or fish)
  elysiactl --sandbox             the shell on an in-process emulator with demo data

exit codes: 0 success, 1 command error, 2 usage error, 3 connection error,
            4 refused confirmation, 124 \watch --timeout passed before --until held,
            130 interrupted"""


class _PrintHelp(argparse.Action):
    """``-h``/``--help``: the flags, then the one-shot commands from their declarations."""

    def __init__(self, option_strings: list[str], dest: str, **_: object) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                         nargs=0, help="show this help, with the commands, and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from shell.cli_listing import full_help

        print(full_help(parser), end="")
        parser.exit()


class _PrintVersion(argparse.Action):
    """``--version``: the version is looked up only when asked for."""

    def __init__(self, option_strings: list[str], dest: str, **_: object) -> None:
        super().__init__(option_strings, dest=argparse.SUPPRESS, default=argparse.SUPPRESS,
                         nargs=0, help="print the version and exit")

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(version_line())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The ``elysiactl`` argument parser."""
    parser = argparse.ArgumentParser(
        prog=APP, description="An interactive admin shell for Weaviate.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter, add_help=False)
    parser.add_argument("-h", "--help", action=_PrintHelp)
    parser.add_argument("--version", action=_PrintVersion)
    conn = parser.add_argument_group("connection")
    conn.add_argument("--url", help="Weaviate URL (default: profile, WEAVIATE_URL, "
                                    "http://localhost:8080)")
    conn.add_argument("--api-key", help="API key (default: WEAVIATE_API_KEY or the profile)")
    conn.add_argument("--header", action="append", default=[], metavar="NAME=VALUE",
                      help="extra request header, e.g. for module keys (repeatable)")
    conn.add_argument("--profile", help="a profile from the config file")
    conn.add_argument("--insecure", action="store_true", help="do not verify TLS certificates")
    conn.add_argument("--sandbox", action="store_true",
                      help="start an in-process Weaviate emulator with demo data and use it")
    run = parser.add_argument_group("running commands")
    run.add_argument("-c", "--command", action="append", default=[], dest="commands",
                     metavar="CMD", help="run this meta-command (repeatable), then exit")
    run.add_argument("-f", "--file", help="run the commands in FILE, then exit")
    run.add_argument("--on-error", choices=("stop", "continue"),
                     help="what a script does after a failing command (default: stop; "
                          "with --dry-run: continue, as later lines often need what earlier "
                          "ones would have made)")
    run.add_argument("--echo", action="store_true", help="print each command before it runs")
    run.add_argument("-v", "--set", "--variable", action="append", default=[],
                     dest="variables", metavar="NAME=VALUE",
                     help=r"set a variable that later lines use as :NAME (as \set; repeatable)")
    run.add_argument("--format", choices=FORMATS, help="output format (default: table)")
    run.add_argument("--yes", action="store_true",
                     help="answer yes to confirmations (as --force on every command)")
    run.add_argument("--dry-run", action="store_true",
                     help="destructive commands only show their plan; nothing is changed")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Parsed flags, plus ``lines`` (the ``-c`` or one-shot commands as ``(location, line)``),
    ``headers`` (from ``--header``) and ``variables`` (from ``-v``; None: unset). Exits with 0
    after ``--help``/``--version`` and with 2 (usage error) on a bad argument, both before any
    heavy import."""
    parser = build_parser()
    args = parser.parse_args(argv)
    from commands.variables import assignments  # after --help/--version: it loads typing

    try:
        args.headers = headers(args.header)
        args.variables = assignments(args.variables)
        args.lines = one_shot(args.rest) if args.rest else [("-c", c) for c in args.commands]
    except UsageError as exc:
        parser.error(f"{exc.message} ({exc.hint})" if exc.hint else exc.message)
    return args


def one_shot(rest: list[str]) -> list[tuple[str, str]]:
    """``col NAME ARGS...`` as the one meta-command line it stands for."""
    if rest[0] not in ONE_SHOT_WORDS:
        raise UsageError(f"unknown word {rest[0]!r}",
                         "use: elysiactl col COMMAND [ARGS], elysiactl sandbox, "
                         "elysiactl completion SHELL, or -c CMD")
    if len(rest) < 2:
        raise UsageError(f"elysiactl {rest[0]} needs a command, e.g. {rest[0]} ls")
    from shell.cli_listing import LISTING_WORDS, group_help

    if rest[1:] in LISTING_WORDS:
        print(group_help(rest[0]))
        raise SystemExit(0)
    from shell.cli_help import one_shot_line  # the declarations: only for a one-shot line

    return [("-c", one_shot_line(rest[0], rest[1:]))]


def headers(values: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs from ``--header``."""
    out = {}
    for value in values:
        name, eq, content = value.partition("=")
        if not eq or not name:
            raise UsageError(f"--header {value!r}: expected NAME=VALUE")
        out[name.strip()] = content
    return out
