"""``suggest()``: which slot the cursor is in, with no metadata at all (pgcli style tables)."""

from __future__ import annotations

import shlex

import pytest
from test_completers_specs import REGISTRY

from commands.spec import Kind
from completers.suggest import What, suggest, words


def kind_of(line: str) -> tuple[What, Kind | None, str]:
    s = suggest(line, REGISTRY)
    return s.what, s.kind, s.prefix


@pytest.mark.parametrize(("line", "expected"), [
    ("", (What.VALUE, Kind.COMMAND, "")),
    ("   ", (What.VALUE, Kind.COMMAND, "")),
    ("\\", (What.VALUE, Kind.COMMAND, "")),
    ("\\sh", (What.VALUE, Kind.COMMAND, "sh")),
    ("sh", (What.VALUE, Kind.COMMAND, "sh")),
    ("\\show ", (What.VALUE, Kind.COLLECTION, "")),
    ("\\show Ar", (What.VALUE, Kind.COLLECTION, "Ar")),
    ("\\d Ar", (What.VALUE, Kind.COLLECTION, "Ar")),
    ("\\ls Doc", (What.VALUE, Kind.PATTERN, "Doc")),
    ("\\show Article ", (What.OPTION, None, "")),
    ("\\show Article x", (What.NOTHING, None, "x")),
    ("\\show Article --s", (What.OPTION, None, "--s")),
    ("\\show -", (What.OPTION, None, "-")),
    ("\\objects Article --limit ", (What.VALUE, Kind.INT, "")),
    ("\\objects Article --limit 5 ", (What.OPTION, None, "")),
    ("\\objects Article --vector ", (What.OPTION, None, "")),
    ("\\objects Article --help ", (What.OPTION, None, "")),
    ("\\objects --vector Art", (What.VALUE, Kind.COLLECTION, "Art")),
    ("\\objects --limit 5 Art", (What.VALUE, Kind.COLLECTION, "Art")),
    ("\\objects -- --Art", (What.VALUE, Kind.COLLECTION, "--Art")),
    ("\\objects -- Article ", (What.NOTHING, None, "")),
    ("\\objects --format ", (What.VALUE, Kind.CHOICE, "")),
    ("\\objects --format=j", (What.VALUE, Kind.CHOICE, "j")),
    ("\\objects --unknown Art", (What.VALUE, Kind.COLLECTION, "Art")),
    ("\\connect pro", (What.VALUE, Kind.PROFILE, "pro")),
    ("\\i ./da", (What.VALUE, Kind.FILE, "./da")),
    ("\\i my\\ dir/f", (What.VALUE, Kind.FILE, "my dir/f")),
    ('\\i "my dir/f', (What.VALUE, Kind.FILE, "my dir/f")),
    ("\\help \\ob", (What.VALUE, Kind.COMMAND, "ob")),
    ("\\help ob", (What.VALUE, Kind.COMMAND, "ob")),
    ("\\set ", (What.VALUE, Kind.CHOICE, "")),
    ("\\set format ", (What.VALUE, Kind.TEXT, "")),
    ("\\get Article 12", (What.VALUE, Kind.UUID, "12")),
    ("\\q ", (What.OPTION, None, "")),
    ("\\nosuch ", (What.NOTHING, None, "")),
    ("\\nosuch", (What.VALUE, Kind.COMMAND, "nosuch")),
])
def test_slot_under_the_cursor(line: str, expected: tuple[What, Kind | None, str]) -> None:
    assert kind_of(line) == expected


@pytest.mark.parametrize(("line", "collection", "prefix", "dotted"), [
    ("\\objects Article --properties ", "Article", "", False),
    ("\\objects Article --properties ti", "Article", "ti", False),
    ("\\objects Article --properties=ti", "Article", "ti", False),
    ("\\objects Article --properties title,bo", "Article", "bo", False),
    ("\\objects Article --properties title,", "Article", "", False),
    ("\\objects --properties ti", None, "ti", False),
    ("\\objects --properties Article.ti", "Article", "ti", True),
    ("\\objects Product --properties Article.", "Article", "", True),
    ("\\objects --properties title,Article.ti", "Article", "ti", True),
    ("\\sort ti", None, "ti", False),
    ("\\sort Article.ti", "Article", "ti", True),
    ("\\where Article Article.ti", "Article", "ti", True),
    ("\\where Article Product.na", "Product", "na", True),
    ("\\copy --from Article --properties ", "Article", "", False),
    ("\\copy --from=Article --properties ti", "Article", "ti", False),
])
def test_property_slots_know_their_collection(line: str, collection: str | None, prefix: str,
                                              dotted: bool) -> None:
    s = suggest(line, REGISTRY)
    assert (s.what, s.kind) == (What.VALUE, Kind.PROPERTY)
    assert (s.collection, s.prefix, s.dotted) == (collection, prefix, dotted)


@pytest.mark.parametrize("line", [
    "\\where Article word", "\\where Article file.txt", "\\where Article a.b.c"])
def test_free_text_is_not_a_property_unless_it_reads_collection_dot(line: str) -> None:
    assert suggest(line, REGISTRY).kind is Kind.TEXT


@pytest.mark.parametrize(("line", "collection", "prefix"), [
    ("\\objects SupportTicket --tenant ", "SupportTicket", ""),
    ("\\objects SupportTicket --tenant=gl", "SupportTicket", "gl"),
    ("\\objects --tenant a", None, "a"),
    ("\\tenants SupportTicket ac", "SupportTicket", "ac"),
    ("\\tenants SupportTicket acme glo", "SupportTicket", "glo"),
    ("\\tenants SupportTicket acme,glo", "SupportTicket", "glo"),
])
def test_tenant_slots_know_their_collection(line: str, collection: str | None,
                                            prefix: str) -> None:
    s = suggest(line, REGISTRY)
    assert (s.kind, s.collection, s.prefix) == (Kind.TENANT, collection, prefix)


def test_replace_counts_raw_characters_and_keeps_an_open_quote() -> None:
    s = suggest('\\show "Ar', REGISTRY)
    assert (s.prefix, s.replace, s.lead, s.quote) == ("Ar", 3, '"', '"')
    s = suggest("\\show 'Ar", REGISTRY)
    assert (s.replace, s.lead) == (3, "'")
    s = suggest('\\objects --properties "Article.ti', REGISTRY)
    assert (s.prefix, s.replace, s.lead, s.quote) == ("ti", 2, "", '"')
    s = suggest('\\objects SupportTicket --tenant="ac', REGISTRY)
    assert (s.prefix, s.replace, s.lead) == ("ac", 3, '"')
    s = suggest("\\sh", REGISTRY)
    assert (s.replace, s.backslash) == (3, True)


def test_options_already_given_are_reported_as_used() -> None:
    s = suggest("\\objects Article --limit 5 --tenant=acme --vector --", REGISTRY)
    assert s.what is What.OPTION
    assert s.used == {"--limit", "--tenant", "--vector"}
    assert s.spec is not None and s.spec.name == "objects"


def test_the_slot_carries_its_declaration() -> None:
    s = suggest("\\objects Article --format ", REGISTRY)
    assert s.option is not None and s.option.name == "--format"
    assert s.choices == ("table", "json", "yaml")
    s = suggest("\\set ", REGISTRY)
    assert s.arg is not None and s.arg.name == "name"
    assert s.choices == ("format", "expanded")


@pytest.mark.parametrize("line", [
    '\\objects "Article --tenant ', "\\show 'Art", '"', "'\\", "\\i \"a\\", "\\\\", "\\show Ar\\",
    '\\objects Article --properties="', "\\objects --=", "\\objects ,,, --properties ,.,",
])
def test_unclosed_quotes_and_stray_escapes_never_raise(line: str) -> None:
    suggest(line, REGISTRY)


@pytest.mark.parametrize("text", [
    'a "b c" d\\ e', "\\show  'x y'  z", 'a"b"c', '"a\\"b"', "tab\tsep\nnew"])
def test_words_split_like_shlex(text: str) -> None:
    found, _ = words(text)
    assert [w.value for w in found] == shlex.split(text)


def test_words_report_whether_the_last_word_is_being_typed() -> None:
    assert words("\\show Ar")[1] is True
    assert words("\\show Ar ")[1] is False
    found, typing = words('\\show "Ar ')
    assert typing and found[-1].value == "Ar " and found[-1].quote == '"'
