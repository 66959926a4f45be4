"""psql-style variables: ``\\set NAME VALUE``, ``-v NAME=VALUE``, and their interpolation.

Before a line is dispatched, outside single and double quotes:

- ``:NAME`` becomes the variable's value, ``:'NAME'`` its value quoted as one shell word
  (``shlex.quote``), ``:{?NAME}`` ``TRUE`` or ``FALSE`` as the variable is set or not;
- an undefined variable is left as it is (``12:30`` and ``http://host:8080`` stay);
- ``\\:`` is a literal colon and ``::`` two colons, neither starting a variable (psql's
  escape and its typecast);
- names are letters, digits and underscores (``[A-Za-z0-9_]+``).

Secrets: a variable whose name looks like one (``TOKEN``, ``API_KEY``, ``PASSWORD``...) is
interpolated into the line that runs, but its value is replaced by ``***`` wherever the
line is recorded (audit log, ``\\history``) or listed (``\\set``); so are credentials
written into a URL (``commands.url_credentials.hide``).

Only the standard library is imported: ``shell.cli`` parses ``-v`` on its cheap path.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from typing import Any

from commands.errors import UsageError
from commands.url_credentials import HIDDEN as REDACTED
from commands.url_credentials import hide

NAME = re.compile(r"[A-Za-z0-9_]+")
SECRET_WORDS = re.compile(r"api[-_]?key|token|secret|password|bearer|authorization", re.I)
"""Words that make a command line, or a variable's name, hold a secret."""
_REFERENCE = re.compile(r":(?:'([A-Za-z0-9_]+)'|\{\?([A-Za-z0-9_]+)\}|([A-Za-z0-9_]+))")


def check_name(name: str) -> str:
    """``name`` when it is a valid variable name, else a usage error."""
    if not NAME.fullmatch(name):
        raise UsageError(f"invalid variable name {name!r}",
                         "a name is letters, digits and underscores, e.g. \\set COLL Article")
    return name


def assignments(values: list[str]) -> dict[str, str | None]:
    """``-v NAME=VALUE`` pairs as psql reads them: ``NAME=`` is empty, ``NAME`` alone unsets."""
    out: dict[str, str | None] = {}
    for value in values:
        name, eq, content = value.partition("=")
        out[check_name(name)] = content if eq else None
    return out


def interpolate(line: str, variables: Mapping[str, str]) -> str:
    """``line`` with its variable references replaced (see the module's rules)."""
    if ":" not in line:
        return line
    out: list[str] = []
    quote = ""
    i = 0
    while i < len(line):
        char = line[i]
        if quote:
            out.append(char)
            if char == "\\" and quote == '"' and i + 1 < len(line):
                out.append(line[i + 1])  # \" inside double quotes does not close them
                i += 1
            elif char == quote:
                quote = ""
        elif char in "'\"":
            quote = char
            out.append(char)
        elif char == "\\" and i + 1 < len(line):
            out.append(":" if line[i + 1] == ":" else line[i:i + 2])
            i += 1
        elif line.startswith("::", i):
            out.append("::")
            i += 1
        elif char == ":" and (match := _REFERENCE.match(line, i)):
            out.append(_value(match, variables))
            i = match.end() - 1
        else:
            out.append(char)
        i += 1
    return "".join(out)


def _value(match: re.Match[str], variables: Mapping[str, str]) -> str:
    quoted, test, plain = match.groups()
    if test is not None:
        return "TRUE" if test in variables else "FALSE"
    name = quoted or plain
    if name not in variables:
        return match.group(0)
    return shlex.quote(variables[name]) if quoted else variables[name]


def is_secret(name: str) -> bool:
    """Whether a variable's name says it holds a secret."""
    return SECRET_WORDS.search(name) is not None


def redact(value: Any, variables: Mapping[str, str]) -> Any:
    """``value`` (a string, or lists and dicts of them) with the values of secret-named
    variables and the credentials written into URLs replaced by ``***``."""
    hidden = [v for k, v in variables.items() if v and is_secret(k)]
    return _redact(value, sorted(hidden, key=len, reverse=True))


def _redact(value: Any, hidden: list[str]) -> Any:
    if isinstance(value, str):
        for secret in hidden:
            value = value.replace(secret, REDACTED)
        return hide(value)
    if isinstance(value, list | tuple):
        return type(value)(_redact(v, hidden) for v in value)
    if isinstance(value, dict):
        return {k: _redact(v, hidden) for k, v in value.items()}
    return value
