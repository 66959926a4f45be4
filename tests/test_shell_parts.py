"""Pieces of the interactive shell: history without secrets, highlighting, toolbar, prompt."""

from __future__ import annotations

from pathlib import Path

from pygments.token import Keyword, Name, Number, String

from commands.api.client import RestClient
from commands.context import Connection, Session
from commands.meta import MODULES
from commands.registry import Registry
from commands.spec import Opt, command
from completers.metadata import MetadataCache
from shell.app import Toolbar, prompt_message
from shell.history import RedactingFileHistory
from shell.lexer import MetaCommandLexer


@command("login", "Log in.", opts=(Opt("--token", secret=True, help="t"),),
         needs_connection=False)
def login_cmd(ctx, *, token):
    return None


def test_history_never_stores_secrets(tmp_path: Path) -> None:
    path = tmp_path / "history"
    registry = Registry([*Registry.from_modules(MODULES).specs, login_cmd.spec])
    history = RedactingFileHistory(str(path), registry)
    for line in (r"\ls", r"\login --token abc", r"\connect http://h --api-key xyz",
                 "Authorization: Bearer q", r"\show Article", r"\nonsense secret"):
        history.append_string(line)
    stored = path.read_text()
    assert r"\ls" in stored and r"\show Article" in stored
    for secret in ("abc", "xyz", "Bearer", "nonsense"):
        assert secret not in stored
    assert r"\login --token abc" in list(history.get_strings())  # recall in this session only


def test_lexer_tokens() -> None:
    tokens = [(t, v) for t, v in MetaCommandLexer().get_tokens(
        r'\objects Article --limit 5 --after 00ef873f-0906-4665-9ad2-6b5808d9d98c "a b"')
        if v.strip()]
    assert tokens[0] == (Keyword, r"\objects")
    assert (Name.Attribute, "--limit") in tokens
    assert any(token in Number and value == "5" for token, value in tokens)
    assert (Number.Hex, "00ef873f-0906-4665-9ad2-6b5808d9d98c") in tokens
    assert (String.Double, '"a b"') in tokens


def test_toolbar_and_prompt() -> None:
    session = Session()
    toolbar = Toolbar(session, MetadataCache())
    assert "disconnected" in "".join(text for _, text in toolbar())
    assert "(disconnected)> " in "".join(text for _, text in prompt_message(session))
    session.connection = Connection(api=RestClient("http://h:8080"), url="http://h:8080",
                                    server_version="1.39.0", tier="production")
    session.collection, session.format = "Article", "json"
    toolbar.nodes = (2, 3)
    line = "".join(text for _, text in toolbar())
    for part in ("http://h:8080", "Weaviate 1.39.0", "2/3 nodes healthy", "collection Article",
                 "format json", "schema empty"):
        assert part in line
    [(style, text)] = prompt_message(session)
    assert (style, text) == ("class:prompt.production", "[production] h:8080/Article> ")
    session.connection.api.read_only = "audit"
    assert prompt_message(session).pop()[1] == "[production] [read-only] h:8080/Article> "
