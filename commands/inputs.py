"""What the user hands the shell, read at the edge: files (scripts, schema files, templates,
the config) and standard input, bounded in size and time, and decoded as UTF-8.

A failure is one ``UsageError`` (or the caller's error class) that names the file and what
is wrong with it: nothing past this module sees undecodable bytes, a device that never
ends, a FIFO nobody writes to, or a number JSON cannot carry.
"""

from __future__ import annotations

import codecs
import math
import os
import select
import stat
from collections.abc import Iterator
from typing import IO, Any

from commands.errors import ShellError, UsageError

MAX_FILE_BYTES = 16 * 2**20
"""A script, schema file, template or config file is text written by a person: far less."""
MAX_LINE_BYTES = 2**20
"""One line of standard input (a script piped in, which may run for ever, line by line)."""
MAX_NODES = 100_000
"""Values in one document read from YAML, aliases expanded."""
IDLE_TIMEOUT_S = 10.0
"""How long a FIFO or device may stay silent before reading it gives up."""
BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"),
        (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF16_LE, "utf-16"),
        (codecs.BOM_UTF16_BE, "utf-16"))
"""Byte-order marks and the codec that drops each; UTF-32 LE's starts as UTF-16 LE's."""
RECODE_HINT = "save it as UTF-8, e.g. iconv -f latin1 -t utf-8 FILE > FILE.utf8"
ErrorType = type[ShellError]


def read_text(path: str, name: str, prefix: str = "", error: ErrorType = UsageError,
              limit: int = MAX_FILE_BYTES) -> str:
    """The text of the file at ``path`` (``~`` expanded); ``name`` says what it is in
    messages (``schema file x.json``), ``prefix`` comes before them (``\\i: ``)."""
    return decode(read_bytes(path, name, prefix, error, limit), name, prefix, error)


def read_bytes(path: str, name: str, prefix: str = "", error: ErrorType = UsageError,
               limit: int = MAX_FILE_BYTES) -> bytes:
    """At most ``limit`` bytes of the file at ``path``; more is an error, and so is a FIFO or
    device silent for ``IDLE_TIMEOUT_S`` (opening never blocks: ``O_NONBLOCK``)."""
    try:
        fd = os.open(os.path.expanduser(path), os.O_RDONLY | os.O_NONBLOCK)
        with os.fdopen(fd, "rb", buffering=0) as file:
            regular = stat.S_ISREG(os.fstat(fd).st_mode)
            if regular:
                os.set_blocking(fd, True)
            return _read_all(file, fd, regular, name, prefix, error, limit)
    except (OSError, ValueError) as exc:  # a directory (EISDIR), a NUL in the path
        raise error(f"{prefix}cannot read {name}: {_reason(exc)}") from None


def _read_all(file: IO[bytes], fd: int, regular: bool, name: str, prefix: str,
              error: ErrorType, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        if not regular and not select.select([fd], [], [], IDLE_TIMEOUT_S)[0]:
            raise error(f"{prefix}cannot read {name}: nothing came from it in "
                        f"{IDLE_TIMEOUT_S:g} s", "is it a FIFO that nothing writes to?")
        chunk = file.read(min(2**16, limit + 1 - size))
        if chunk is None:  # a non-blocking read found nothing after all
            continue
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:
            raise error(f"{prefix}cannot read {name}: larger than {_size(limit)}",
                        "is it the right file? (a device such as /dev/zero never ends)")


def decode(data: bytes, name: str, prefix: str = "", error: ErrorType = UsageError) -> str:
    """``data`` as text: UTF-8, or UTF-16/32 with a byte-order mark (a BOM is dropped).
    Anything else names the line and column of the first byte that is not UTF-8."""
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                label = encoding.removesuffix("-sig").upper()
                raise error(f"{prefix}{name}: not valid {label} after its byte-order mark",
                            RECODE_HINT) from None
    return _utf8(data, name, prefix, error)


def _utf8(data: bytes, name: str, prefix: str = "", error: ErrorType = UsageError,
          first_line: int = 1) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + first_line
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise error(f"{prefix}{name}:{line}:{column}: not valid UTF-8 (byte "
                    f"0x{data[exc.start]:02x})", RECODE_HINT) from None


def stream_lines(name: str, stream: IO[bytes], limit: int = MAX_LINE_BYTES
                 ) -> Iterator[tuple[str, str]]:
    """``(NAME:N, line)`` for each line of a byte stream (piped standard input), each decoded
    as it comes; a line that is not UTF-8 or longer than ``limit`` ends it with a
    ``UsageError`` naming ``NAME:N`` (the lines before it have run)."""
    number = 0
    while line := stream.readline(limit + 1):
        number += 1
        if len(line) > limit and not line.endswith(b"\n"):
            raise UsageError(f"{name}:{number}: line longer than {_size(limit)}",
                             "is the right file piped in?")
        if number == 1:
            line = line.removeprefix(codecs.BOM_UTF8)
        yield f"{name}:{number}", _utf8(line, name, first_line=number).rstrip("\r\n")


def load_json(text: str, name: str, error: ErrorType = UsageError,
              hint: str | None = None) -> Any:
    """``text`` (of the file ``name``) as JSON whose numbers Weaviate can take: no ``NaN`` or
    ``Infinity``, no float out of range (``1e999``), no integer too long to convert;
    ``hint`` goes with a syntax error."""
    import json

    def number(literal: str) -> float:
        value = float(literal)
        if not math.isfinite(value):
            raise error(f"{name}: the number {_clip(literal)} is out of range",
                        "JSON numbers must fit a 64-bit float")
        return value

    def constant(literal: str) -> None:
        raise error(f"{name}: {literal} is not a JSON number", "write a number or null")

    def integer(literal: str) -> int:
        if len(literal.lstrip("-")) > 20:  # past any 64-bit integer; int() would refuse 4300
            raise error(f"{name}: the integer {_clip(literal)} is out of range",
                        "Weaviate takes 64-bit integers")
        return int(literal)

    try:
        return json.loads(text, parse_float=number, parse_constant=constant,
                          parse_int=integer)
    except json.JSONDecodeError as exc:
        raise error(f"invalid JSON in {name}:{exc.lineno}:{exc.colno}: {exc.msg}",
                    hint) from None
    except RecursionError:
        raise error(f"{name}: nested too deeply") from None


def load_yaml(text: str, name: str, error: ErrorType = UsageError,
              label: str = "invalid YAML in", hint: str | None = None) -> Any:
    """``text`` (of the file ``name``) as YAML whose numbers are finite; a syntax error says
    ``LABEL NAME:LINE: problem`` with ``hint``."""
    import yaml  # on first use: start-up without a config file never loads it

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise error(f"{label} {name}{line}: {getattr(exc, 'problem', None) or exc}",
                    hint) from None
    except (RecursionError, ValueError):  # deep nesting; an int() too long to convert
        raise error(f"{label} {name}: nested too deeply or a number out of range") from None
    return check_numbers(data, name, error)


def check_numbers(data: Any, name: str, error: ErrorType = UsageError) -> Any:
    """``data`` (loaded from YAML) when every float in it is finite and it holds at most
    ``MAX_NODES`` values, counted as written out (YAML aliases can make a small file a
    huge document), else an error."""
    stack, seen = [data], 0
    while stack:
        item = stack.pop()
        seen += 1
        if seen > MAX_NODES:
            raise error(f"{name}: more than {MAX_NODES:,} values once its aliases are "
                        "expanded", "write the definition out without YAML aliases (*name)")
        if isinstance(item, float) and not math.isfinite(item):
            raise error(f"{name}: the number {item} is out of range",
                        "numbers must fit a 64-bit float")
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return data


def _clip(literal: str) -> str:
    return literal if len(literal) <= 24 else f"{literal[:12]}...({len(literal)} digits)"


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)


def _size(limit: int) -> str:
    return f"{limit // 2**20} MiB" if limit >= 2**20 else f"{limit} bytes"
