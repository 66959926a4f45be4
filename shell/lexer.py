"""Syntax highlighting of meta-command lines and GraphQL queries (a Pygments lexer)."""

from __future__ import annotations

from pygments.lexer import RegexLexer, bygroups, this, using
from pygments.lexers.graphql import GraphQLLexer
from pygments.token import Keyword, Name, Number, String, Text, Whitespace

from commands.graphql_text import ROOTS

# A bare query (commands.graphql_text.is_query) is lexed whole: it may span several lines.
# GraphQL documents start with { or query; a bare Get {...} is inside the anonymous query's
# selection set.
_DOCUMENT = r"\A(?=\s*(\{|(query|mutation)(?![\w$])))[\s\S]+"
_SELECTION = r"\A(?=\s*(" + "|".join(ROOTS) + r")(?![\w$]))[\s\S]+"


class MetaCommandLexer(RegexLexer):
    """``\\command``, ``--options``, quoted strings, numbers and UUIDs; a GraphQL query
    (bare, or after ``\\graphql``) by pygments' ``GraphQLLexer``."""

    name = "elysiactl"
    aliases = ["elysiactl"]
    tokens = {
        "root": [
            (_DOCUMENT, using(GraphQLLexer)),
            (_SELECTION, using(GraphQLLexer, state="selection_set")),
            (r"(\\graphql)(\s+(?:--[\w-]+(?:=\S*|\s+[^\s{-]\S*)?\s+)*)([\s\S]*)",
             bygroups(Keyword, using(this), using(this))),
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
