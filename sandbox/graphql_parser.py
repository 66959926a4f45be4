"""Lexer and parser for the GraphQL requests of ``sandbox.graphql``.

Follows tailor-platform/graphql v0.6.0 (tailor-inc/graphql v0.5.7 renamed), the
graphql-go fork Weaviate 1.32-1.39 is built with, closely enough to reproduce its syntax
errors word for word: ``Syntax Error GraphQL request (line:col) <description>``
followed by the highlighted source lines. The parser keeps only what the sandbox
needs: operations, fields with aliases, arguments and selections, variable definitions;
fragments and directives are parsed and flagged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

PUNCTUATORS = "!$&():=@[]{|}"
OPERATIONS = ("query", "mutation", "subscription")
_LINES = re.compile(r"\r\n|[\n\r]")
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")
_ESCAPES = {'"': '"', "/": "/", "\\": "\\", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


class GraphQLError(Exception):
    """One entry of the response's ``errors``."""

    def __init__(self, message: str, locations: list[dict[str, int]] | None,
                 path: list[str] | None = None) -> None:
        super().__init__(message)
        self.message, self.locations, self.path = message, locations, path

    def to_json(self) -> dict[str, Any]:
        return {"locations": self.locations, "message": self.message, "path": self.path}


def location(src: str, pos: int) -> dict[str, int]:
    """1-based line and column of a source offset (graphql-go ``location.GetLocation``)."""
    line, column = 1, pos + 1
    for match in _LINES.finditer(src):
        if match.start() >= pos:
            break
        line, column = line + 1, pos + 1 - match.end()
    return {"column": column, "line": line}


def _syntax(src: str, pos: int, description: str) -> GraphQLError:
    loc = location(src, pos)
    line, column = loc["line"], loc["column"]
    lines = _LINES.split(src)
    pad = len(str(line + 1))

    def row(n: int) -> str:
        text = "".join(c if c >= " " else f"\\u{ord(c):04X}" for c in lines[n - 1])
        return f"{str(n).rjust(pad)}: {text}\n"

    shown = (row(line - 1) if line >= 2 else "") + row(line) + " " * (1 + pad + column) + "^\n"
    if line < len(lines):
        shown += row(line + 1)
    return GraphQLError(f"Syntax Error GraphQL request ({line}:{column}) {description}\n\n{shown}",
                        [loc])


def _char(src: str, pos: int) -> str:
    if pos >= len(src):
        return "<EOF>"
    code = ord(src[pos])
    return f'"{src[pos]}"' if 0x20 <= code < 0x7F else f'"\\\\u{code:04X}"'


@dataclass(slots=True)
class Token:
    """A lexed token; ``kind`` is graphql-go's description of its kind (``Name``, ``{``...)."""

    kind: str
    value: str
    start: int
    end: int

    def describe(self) -> str:
        return f'{self.kind} "{self.value}"' if self.value else self.kind


def _digits(src: str, pos: int) -> int:
    if pos >= len(src) or not ("0" <= src[pos] <= "9"):
        raise _syntax(src, pos, f"Invalid number, expected digit but got: {_char(src, pos)}.")
    while pos < len(src) and "0" <= src[pos] <= "9":
        pos += 1
    return pos


def _number(src: str, start: int) -> Token:
    pos, kind = start + (src[start] == "-"), "Int"
    if src.startswith("0", pos):
        pos += 1
        if pos < len(src) and "0" <= src[pos] <= "9":
            raise _syntax(src, pos, f"Invalid number, unexpected digit after 0: {_char(src, pos)}.")
    else:
        pos = _digits(src, pos)
    if src.startswith(".", pos):
        kind, pos = "Float", _digits(src, pos + 1)
    if pos < len(src) and src[pos] in "eE":
        kind, pos = "Float", pos + 1
        pos = _digits(src, pos + (pos < len(src) and src[pos] in "+-"))
    return Token(kind, src[start:pos], start, pos)


def _string(src: str, start: int) -> Token:
    pos, out = start + 1, []
    while pos < len(src) and src[pos] not in '"\n\r':
        char = src[pos]
        if char < " " and char != "\t":
            raise _syntax(src, pos, f"Invalid character within String: {_char(src, pos)}.")
        if char == "\\":
            code = src[pos + 1:pos + 2]
            if code == "u" and re.fullmatch(r"[0-9A-Fa-f]{4}", src[pos + 2:pos + 6]):
                out.append(chr(int(src[pos + 2:pos + 6], 16)))
                pos += 6
                continue
            if code not in _ESCAPES:
                raise _syntax(src, pos, f"Invalid character escape sequence: \\\\{code}.")
            out.append(_ESCAPES[code])
            pos += 2
            continue
        out.append(char)
        pos += 1
    if pos >= len(src) or src[pos] != '"':
        raise _syntax(src, pos, "Unterminated string.")
    return Token("String", "".join(out), start, pos + 1)


def _block_string(src: str, start: int) -> Token:
    end = start + 3
    while True:
        end = src.find('"""', end)
        if end < 0:
            raise _syntax(src, len(src), "Unterminated string.")
        if src[end - 1] != "\\":
            break
        end += 3
    lines = _LINES.split(src[start + 3:end].replace('\\"""', '"""'))
    indents = [len(x) - len(x.lstrip(" \t")) for x in lines[1:] if x.strip(" \t")]
    common = min(indents, default=0)
    lines = lines[:1] + [x[common:] for x in lines[1:]]
    while lines and not lines[0].strip(" \t"):
        lines.pop(0)
    while lines and not lines[-1].strip(" \t"):
        lines.pop()
    return Token("BlockString", "\n".join(lines), start, end + 3)


def lex(src: str, pos: int) -> Token:
    """The token starting at or after ``pos`` (whitespace, commas and comments skipped)."""
    while pos < len(src):
        if src[pos] in "\ufeff\t \n\r,":
            pos += 1
        elif src[pos] == "#":
            while pos < len(src) and src[pos] not in "\n\r" and (src[pos] >= " " or
                                                                 src[pos] == "\t"):
                pos += 1
        else:
            break
    if pos >= len(src):
        return Token("EOF", "", pos, pos)
    char = src[pos]
    if char < " " and char not in "\t\n\r":
        raise _syntax(src, pos, f"Invalid character {_char(src, pos)}")
    if char in PUNCTUATORS:
        return Token(char, "", pos, pos + 1)
    if src.startswith("...", pos):
        return Token("...", "", pos, pos + 3)
    if char == "_" or ("A" <= char <= "Z") or ("a" <= char <= "z"):
        match = _NAME.match(src, pos)
        assert match is not None
        return Token("Name", match.group(), pos, match.end())
    if char == "-" or "0" <= char <= "9":
        return _number(src, pos)
    if char == '"':
        return _block_string(src, pos) if src.startswith('"""', pos) else _string(src, pos)
    raise _syntax(src, pos, f"Unexpected character {_char(src, pos)}.")


@dataclass(slots=True)
class Value:
    """A literal or ``$variable``: text, a bool, a list of Values or (name, Value) pairs."""

    kind: str
    value: Any
    start: int

    def print(self) -> str:
        """As graphql-go's printer writes it in error messages."""
        if self.kind == "Variable":
            return f"${self.value}"
        if self.kind == "String":
            return '"' + self.value.replace("\\", "\\\\").replace('"', '\\"') + '"'
        if self.kind == "Boolean":
            return "true" if self.value else "false"
        if self.kind == "List":
            return "[" + ", ".join(v.print() for v in self.value) + "]"
        if self.kind == "Object":
            return "{" + ", ".join(f"{k}: {v.print()}" for k, v in self.value) + "}"
        return str(self.value)


@dataclass(slots=True)
class Field:
    """``alias: name(args) @directives { selections }``; spreads/inline fragments have no name."""

    start: int
    name: str = ""
    alias: str | None = None
    args: list[tuple[str, Value, int]] = field(default_factory=list)
    directives: bool = False
    selections: list[Field] | None = None
    selections_start: int = 0

    @property
    def key(self) -> str:
        return self.alias or self.name


@dataclass(slots=True)
class VarDef:
    """``$name: Type = default``."""

    name: str
    type_label: str
    base: str
    start: int
    default: Value | None


@dataclass(slots=True)
class Operation:
    """An operation definition (``kind`` "fragment" marks a fragment definition)."""

    kind: str
    name: str | None
    start: int
    var_defs: list[VarDef] = field(default_factory=list)
    directives: bool = False
    selections: list[Field] = field(default_factory=list)


class Parser:
    """Recursive descent over the executable part of the GraphQL grammar."""

    def __init__(self, src: str) -> None:
        self.src = src
        self.tok = lex(src, 0)

    def advance(self) -> Token:
        tok, self.tok = self.tok, lex(self.src, self.tok.end)
        return tok

    def skip(self, kind: str) -> bool:
        if self.tok.kind == kind:
            self.advance()
            return True
        return False

    def expect(self, kind: str) -> Token:
        if self.tok.kind == kind:
            return self.advance()
        raise _syntax(self.src, self.tok.start, f"Expected {kind}, found {self.tok.describe()}")

    def unexpected(self, tok: Token | None = None) -> GraphQLError:
        tok = tok or self.tok
        return _syntax(self.src, tok.start, f"Unexpected {tok.describe()}")

    def many(self, open_: str, item: Any, close: str) -> list[Any]:
        start = self.expect(open_).start
        items = []
        while not self.skip(close):
            items.append(item())
        if not items:
            raise _syntax(self.src, start, f"Unexpected empty IN {open_}{close}")
        return items

    def document(self) -> list[Operation]:
        """Every definition of the request."""
        definitions = []
        while not self.skip("EOF"):
            tok = self.tok
            if tok.kind == "{" or (tok.kind == "Name" and tok.value in OPERATIONS):
                definitions.append(self.operation())
            elif tok.kind == "Name" and tok.value == "fragment":
                self.advance()
                name = self.expect("Name")
                if name.value == "on":
                    raise self.unexpected(name)
                if self.tok.kind != "Name" or self.tok.value != "on":
                    raise _syntax(self.src, self.tok.start,
                                  f'Expected "on", found {self.tok.describe()}')
                self.advance()
                self.expect("Name")
                self.directives()
                definitions.append(Operation("fragment", name.value, tok.start,
                                             selections=self.selection_set()))
            else:
                raise self.unexpected()
        return definitions

    def operation(self) -> Operation:
        start = self.tok.start
        if self.tok.kind == "{":
            return Operation("query", None, start, selections=self.selection_set())
        kind = self.expect("Name")
        if kind.value not in OPERATIONS:
            raise self.unexpected(kind)
        name = self.advance().value if self.tok.kind == "Name" else None
        var_defs = self.many("(", self.var_def, ")") if self.tok.kind == "(" else []
        directives = self.directives()
        return Operation(kind.value, name, start, var_defs, directives, self.selection_set())

    def var_def(self) -> VarDef:
        start = self.expect("$").start
        name = self.expect("Name").value
        self.expect(":")
        label, base = self.type_ref()
        default = self.value(const=True) if self.skip("=") else None
        return VarDef(name, label, base, start, default)

    def type_ref(self) -> tuple[str, str]:
        if self.skip("["):
            inner, base = self.type_ref()
            self.expect("]")
            label = f"[{inner}]"
        else:
            label = base = self.expect("Name").value
        return (label + "!", base) if self.skip("!") else (label, base)

    def directives(self) -> bool:
        found = False
        while self.skip("@"):
            found = True
            self.expect("Name")
            self.arguments()
        return found

    def arguments(self) -> list[tuple[str, Value, int]]:
        return self.many("(", self.argument, ")") if self.tok.kind == "(" else []

    def argument(self) -> tuple[str, Value, int]:
        name = self.expect("Name")
        self.expect(":")
        return name.value, self.value(const=False), name.start

    def selection_set(self) -> list[Field]:
        return self.many("{", self.selection, "}")

    def selection(self) -> Field:
        start = self.tok.start
        if self.skip("..."):
            if self.tok.kind == "Name" and self.tok.value != "on":
                self.advance()
                self.directives()
                return Field(start)
            if self.tok.kind == "Name":
                self.advance()
                self.expect("Name")
            self.directives()
            return Field(start, selections=self.selection_set())
        name, alias = self.expect("Name").value, None
        if self.skip(":"):
            alias, name = name, self.expect("Name").value
        sel = Field(start, name, alias, self.arguments(), self.directives())
        if self.tok.kind == "{":
            sel.selections_start = self.tok.start
            sel.selections = self.selection_set()
        return sel

    def value(self, const: bool) -> Value:
        tok = self.tok
        if tok.kind in ("[", "{"):
            self.advance()
            items: list[Any] = []
            while not self.skip("]" if tok.kind == "[" else "}"):
                if tok.kind == "[":
                    items.append(self.value(const))
                else:
                    key = self.expect("Name").value
                    self.expect(":")
                    items.append((key, self.value(const)))
            return Value("List" if tok.kind == "[" else "Object", items, tok.start)
        if tok.kind in ("Int", "Float", "String", "BlockString"):
            self.advance()
            return Value("String" if tok.kind == "BlockString" else tok.kind, tok.value, tok.start)
        if tok.kind == "Name" and tok.value != "null":
            self.advance()
            if tok.value in ("true", "false"):
                return Value("Boolean", tok.value == "true", tok.start)
            return Value("Enum", tok.value, tok.start)
        if tok.kind == "$" and not const:
            self.advance()
            return Value("Variable", self.expect("Name").value, tok.start)
        raise self.unexpected()
