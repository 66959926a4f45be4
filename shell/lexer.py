"""Syntax highlighting of meta-command lines (a Pygments lexer)."""

from __future__ import annotations

from pygments.lexer import RegexLexer
from pygments.token import Keyword, Name, Number, String, Text, Whitespace


class MetaCommandLexer(RegexLexer):
    """``\\command``, ``--options``, quoted strings, numbers and UUIDs."""

    name = "elysiactl"
    aliases = ["elysiactl"]
    tokens = {
        "root": [
            (r"\s+", Whitespace),
            (r"\\[A-Za-z?]+", Keyword),
            (r"--[A-Za-z][\w-]*", Name.Attribute),
            (r'"(\\.|[^"\\])*"?', String.Double),
            (r"'[^']*'?", String.Single),
            (r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}",
             Number.Hex),
            (r"-?\d+(\.\d+)?(?=\s|$)", Number),
            (r"#.*$", String.Doc),
            (r"[^\s\"']+", Text),
        ],
    }
