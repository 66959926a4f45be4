"""PATH=VALUE settings on a class definition: the one syntax of --set and --apply."""

from __future__ import annotations

import pytest

from commands.errors import UsageError
from commands.ops.class_paths import MISSING, diff, get_path, parse_assignment, set_path

CLS = {"class": "Article", "vectorIndexConfig": {"ef": -1, "pq": {"enabled": False}},
       "invertedIndexConfig": {"bm25": {"b": 0.75, "k1": 1.2}}}


@pytest.mark.parametrize(("text", "expected"), [
    ("vectorIndexConfig.ef=128", ("vectorIndexConfig.ef", 128)),
    ("vectorIndexConfig.rq.enabled=true", ("vectorIndexConfig.rq.enabled", True)),
    ("description=plain words", ("description", "plain words")),
    ('description="quoted"', ("description", "quoted")),
    ("replicationConfig={\"factor\": 3}", ("replicationConfig", {"factor": 3})),
    (" a.b = 0.5 ", ("a.b", 0.5)),
])
def test_assignments_parse_json_values_and_keep_other_text(text, expected):
    assert parse_assignment(text) == expected


@pytest.mark.parametrize("text", ["novalue", "=3", "a..b=1", ".a=1", "a.=1"])
def test_malformed_assignments_are_usage_errors_with_an_example(text):
    with pytest.raises(UsageError) as caught:
        parse_assignment(text)
    assert "PATH=VALUE" in caught.value.message and "--set" in caught.value.hint


@pytest.mark.parametrize(("text", "message"), [
    ("vectorIndexConfig.ef=1e999", "--set 'vectorIndexConfig.ef=1e999': the number inf is out"),
    ("a={\"b\": NaN}", "--set 'a={\"b\": NaN}': the number nan is out of range"),
    ("a=" + "9" * 5000, f"--set 'a={'9' * 38}': the number is out of range"),
])
def test_numbers_json_cannot_carry_are_usage_errors(text, message):
    """Issue 14: 1e999 went to Weaviate as Infinity; a 5000-digit number became a string."""
    with pytest.raises(UsageError) as caught:
        parse_assignment(text)
    assert caught.value.message.startswith(message)


def test_set_path_copies_creates_objects_and_leaves_the_original_alone():
    changed = set_path(CLS, "vectorIndexConfig.rq.enabled", True)
    assert changed["vectorIndexConfig"]["rq"] == {"enabled": True}
    assert "rq" not in CLS["vectorIndexConfig"]
    assert get_path(changed, "vectorIndexConfig.ef") == -1
    assert get_path(changed, "vectorIndexConfig.nothing.here", "x") == "x"


def test_set_path_through_a_scalar_names_the_blocking_key():
    with pytest.raises(UsageError, match=r"vectorIndexConfig.ef is -1, not an object"):
        set_path(CLS, "vectorIndexConfig.ef.deep", 1)


def test_diff_lists_changed_added_and_removed_leaves():
    new = set_path(set_path(CLS, "invertedIndexConfig.bm25.b", 0.5), "vectorIndexConfig.rq",
                   {"enabled": True})
    del new["class"]
    assert diff(CLS, new) == [
        ("class", "Article", MISSING),
        ("invertedIndexConfig.bm25.b", 0.75, 0.5),
        ("vectorIndexConfig.rq", MISSING, {"enabled": True}),
    ]
    assert diff(CLS, CLS) == []
