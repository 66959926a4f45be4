"""Process flags of ``elysiactl`` (the meta-commands have their own declarations)."""

from __future__ import annotations

import argparse

from commands.errors import UsageError
from commands.parse import FORMATS

EPILOG = r"""modes:
  elysiactl                       the interactive shell (when stdin and stdout are terminals)
  elysiactl -c '\ls' -c '\nodes'  run commands and exit
  elysiactl -f ops.txt            run a script file; elysiactl < ops.txt does the same
  elysiactl col ls --format json  one meta-command (col or collection, then its name)
  elysiactl sandbox [--port N]    run the Weaviate emulator in the foreground
  elysiactl --sandbox             the shell on an in-process emulator with demo data

exit codes: 0 success, 1 command error, 2 usage error, 3 connection error,
            4 refused confirmation, 130 interrupted"""


def build_parser() -> argparse.ArgumentParser:
    """The ``elysiactl`` argument parser."""
    parser = argparse.ArgumentParser(
        prog="elysiactl", description="An interactive admin shell for Weaviate.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    run.add_argument("--on-error", choices=("stop", "continue"), default="stop",
                     help="what a script does after a failing command (default: stop)")
    run.add_argument("--echo", action="store_true", help="print each command before it runs")
    run.add_argument("--format", choices=FORMATS, help="output format (default: table)")
    run.add_argument("--yes", action="store_true",
                     help="answer yes to confirmations (as --force on every command)")
    run.add_argument("--dry-run", action="store_true",
                     help="destructive commands only show their plan; nothing is changed")
    parser.add_argument("rest", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    return parser


def headers(values: list[str]) -> dict[str, str]:
    """``NAME=VALUE`` pairs from ``--header``."""
    out = {}
    for value in values:
        name, eq, content = value.partition("=")
        if not eq or not name:
            raise UsageError(f"--header {value!r}: expected NAME=VALUE")
        out[name.strip()] = content
    return out
