"""Typed confirmations, progress bars and protected patterns from the config file."""

from __future__ import annotations

import io
import re
import time
from pathlib import Path

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from commands.errors import ConfigError
from commands.results import Table
from commands.safety import DEFAULT_PROTECTED, Plan
from shell.config import load_settings
from shell.interact import PromptConfirmer, progress_bars
from shell.render import Renderer

PLAN = Plan("delete collection Article", ("Article",),
            preview=(Table(("name", "objects"), (("Article", 250),)),),
            requests=("DELETE /v1/schema/Article",), objects=250)


def renderer() -> tuple[Renderer, io.StringIO]:
    err = io.StringIO()
    return Renderer(Console(file=io.StringIO()), Console(file=err, width=100)), err


@pytest.mark.parametrize("typed, word, expected", [
    ("yes\r", "yes", True), ("y\r", "yes", False), ("YES\r", "yes", False),
    ("Article\r", "Article", True), ("yes\r", "Article", False), ("\x04", "yes", False),
    (" yes\r", "yes", False), ("yes \r", "yes", False), (" Article\r", "Article", False),
])
def test_confirmation_needs_the_exact_word(typed: str, word: str, expected: bool) -> None:
    shown, err = renderer()
    with create_pipe_input() as pipe:
        pipe.send_text(typed)
        confirmer = PromptConfirmer(lambda: shown, input=pipe, output=DummyOutput())
        assert confirmer.confirm(PLAN, word) is expected
    assert "WARNING: this will delete collection Article" in err.getvalue()
    assert "250" in err.getvalue()


def test_progress_bars_count(tmp_path: Path) -> None:
    err = io.StringIO()
    shown = Renderer(Console(file=io.StringIO()), Console(file=err, force_terminal=True))
    with progress_bars(lambda: shown)("clearing Article", 30) as advance:
        for _ in range(3):
            advance(10)
    assert "clearing Article" in err.getvalue()


def drawn_bar(*unit: str) -> str:
    """What a bar of 3,000 advanced in steps over 0.6 s draws (with ``unit`` if given)."""
    err = io.StringIO()
    shown = Renderer(Console(file=io.StringIO()), Console(file=err, force_terminal=True,
                                                          width=120))
    with progress_bars(lambda: shown)("copying Article", 3000, *unit) as advance:
        for _ in range(4):
            advance(500)
            time.sleep(0.15)  # rich's speed needs samples spread over time
    return err.getvalue()


def test_progress_bars_show_objects_per_second_not_bytes() -> None:
    drawn = drawn_bar()
    assert re.search(r"\d[\d,]* objects/s", drawn), drawn
    assert not re.search(r"\d (bytes|[kMG]?B)/s", drawn), drawn


def test_progress_bars_count_in_their_own_unit_or_none() -> None:
    assert re.search(r"\d[\d,]* tenants/s", drawn_bar("tenants"))
    percent = drawn_bar("")  # a percentage (a reindex) has no rate
    assert "copying Article" in percent and not re.search(r"\d[\d,]* \w+/s", percent)


def test_protected_patterns_come_from_the_config(tmp_path: Path) -> None:
    assert load_settings(tmp_path / "missing.yaml").protected == DEFAULT_PROTECTED
    config = tmp_path / "config.yaml"
    config.write_text('protected: ["PROD_*", "Billing"]\n')
    assert load_settings(config).protected == ("PROD_*", "Billing")
    config.write_text("protected: PROD_*\n")
    with pytest.raises(ConfigError, match="protected must be a list"):
        load_settings(config)
