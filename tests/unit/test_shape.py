"""The shape the code keeps: the core does no I/O, the store knows no Telegram, the shell
is small modules, and every sentence the bot says is in the message catalog."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from bot.catalog import Catalog

BOT = Path(__file__).resolve().parents[2] / "bot"
SHELL_MODULES = sorted((BOT / "telegram").glob("*.py"))
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize(
    ("package", "forbidden"),
    [
        ("coach", ("telegram", "bot.telegram", "bot.store", "sqlalchemy", "sqlmodel")),
        ("store", ("telegram", "bot.telegram")),
    ],
)
def test_layers_import_only_downwards(package: str, forbidden: tuple[str, ...]) -> None:
    for path in (BOT / package).rglob("*.py"):
        bad = {m for m in _imports(path) for f in forbidden if m == f or m.startswith(f + ".")}
        assert not bad, f"{path.relative_to(BOT)} imports {sorted(bad)}"


@pytest.mark.parametrize("path", SHELL_MODULES, ids=lambda p: p.name)
def test_shell_modules_are_small(path: Path) -> None:
    assert len(path.read_text().splitlines()) <= 350


def _sentences(path: Path) -> list[tuple[int, str]]:
    """String literals of four or more words, other than docstrings, log lines and
    exception messages (which the person never reads)."""
    tree = ast.parse(path.read_text())
    skipped: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            skipped.add(id(first.value))  # a docstring
        if isinstance(node, ast.Call):
            function = node.func
            is_log = isinstance(function, ast.Attribute) and function.attr in LOG_METHODS
            if is_log:
                skipped.update(id(n) for arg in node.args for n in ast.walk(arg))
        if isinstance(node, ast.Raise) and node.exc is not None:
            skipped.update(id(n) for n in ast.walk(node.exc))
    return [
        (node.lineno, node.value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in skipped
        and sum(1 for word in node.value.split() if re.search(r"[A-Za-z]", word)) >= 4
    ]


@pytest.mark.parametrize("path", SHELL_MODULES, ids=lambda p: p.name)
def test_no_sentence_in_the_shell(path: Path) -> None:
    assert _sentences(path) == []


def test_the_check_finds_a_sentence(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        '"""Docs are fine here."""\n'
        'log.info("a log line is fine too")\n'
        'raise ValueError("so is an error for the operator")\n'
        'reply("Hello there, how are you?")\n'
    )
    assert _sentences(module) == [(4, "Hello there, how are you?")]


def test_every_message_the_shell_names_is_in_the_catalog(catalog: Catalog) -> None:
    """Message ids written out in the shell (t("...") and t.html("...")) exist in English;
    ids built from a value (f"command-{name}") are checked by the e2e tests that show them."""
    named: set[str] = set()
    for path in [*SHELL_MODULES, BOT / "app.py"]:
        named.update(re.findall(r"""\bt(?:\.html)?\(\s*"([a-z0-9-]+)\"""", path.read_text()))
        named.update(
            re.findall(r"""refuser?\((?:update, context, )?"([a-z0-9-]+)"\)""", path.read_text())
        )
    assert named, "the pattern found no message ids: has the shell's style changed?"
    assert sorted(named - catalog.keys) == []
