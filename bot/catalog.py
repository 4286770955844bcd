"""The message catalog: every sentence the bot says, in Project Fluent files.

``content/locales/<language>/*.ftl`` holds one language's messages; English (``en``) is
complete and is the fallback for any message a translation lacks. A person's Telegram
``language_code`` ("de", "pt-br") picks the catalog: the full code, then its language,
then English. Adding a language is adding a folder; no code changes.

Messages are Telegram HTML. Text arguments are escaped here, once, unless they are
marked `Html` (a fragment that was built from escaped parts); numbers are formatted by
Fluent for the language, and choose plural forms ("1 session", "2 sessions").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from html import escape
from pathlib import Path

from babel.dates import format_skeleton
from fluent.runtime import FluentBundle, FluentResource
from fluent.syntax import FluentParser, ast

from bot.programme import CONTENT_DIR, ContentError

LOCALES_DIR = CONTENT_DIR / "locales"
DEFAULT_LANGUAGE = "en"

Argument = str | int | float


class Html(str):
    """Text that is already Telegram HTML: inserted as it is, not escaped again."""


class Texts:
    """One language's messages, with English behind it for anything not translated."""

    def __init__(
        self,
        language: str,
        bundles: tuple[FluentBundle, ...],
        shared: Mapping[str, Argument],
    ) -> None:
        self.language = language
        self._bundles = bundles
        # Constants that many messages quote (the ends of the pain scale): every message
        # may use them, so that no text retypes them.
        self._shared = dict(shared)

    def __call__(self, key: str, **arguments: Argument) -> str:
        for bundle in self._bundles:
            if bundle.has_message(key):
                message = bundle.get_message(key)
                break
        else:
            raise KeyError(f"no message {key!r} in the catalog")
        assert message.value is not None  # checked when the catalog was loaded
        values = self._shared | {
            name: value if isinstance(value, Html | int | float) else escape(value)
            for name, value in arguments.items()
        }
        text, errors = bundle.format_pattern(message.value, values)
        if errors:
            raise ValueError(f"message {key!r}: {errors}")
        return str(text)

    def html(self, key: str, **arguments: Argument) -> Html:
        """A message to put inside another one."""
        return Html(self(key, **arguments))

    def day(self, day: date) -> str:
        """A short date with its weekday, in this language's usual order ("Mon, Mar 2")."""
        return str(format_skeleton("MMMEd", day, locale=self._locale()))

    def short_day(self, day: date) -> str:
        """A date without its weekday ("Mar 2"), for a chart's axis."""
        return str(format_skeleton("MMMd", day, locale=self._locale()))

    def _locale(self) -> str:
        return self.language.replace("-", "_")


def _check(path: Path, source: str) -> set[str]:
    """The ids of a file's messages; a syntax error or an empty message is a ContentError."""
    ids: set[str] = set()
    for entry in FluentParser().parse(source).body:
        if isinstance(entry, ast.Junk):
            problem = "; ".join(str(annotation.message) for annotation in entry.annotations)
            line = source.count("\n", 0, entry.span.start if entry.span else 0) + 1
            raise ContentError(path, f"line {line}", f"not valid Fluent ({problem})")
        if isinstance(entry, ast.Message):
            if entry.value is None:
                raise ContentError(path, entry.id.name, "the message has no text")
            if entry.id.name in ids:
                raise ContentError(path, entry.id.name, "the message is defined twice")
            ids.add(entry.id.name)
    return ids


class Catalog:
    """Every language under `directory`, loaded and checked once at start-up."""

    def __init__(
        self,
        directory: Path = LOCALES_DIR,
        default: str = DEFAULT_LANGUAGE,
        shared: Mapping[str, Argument] | None = None,
    ) -> None:
        self.default = default
        self._shared = dict(shared or {})
        self._bundles: dict[str, FluentBundle] = {}
        ids: dict[str, set[str]] = {}
        for folder in sorted(p for p in directory.iterdir() if p.is_dir()):
            language = folder.name.lower()
            bundle = FluentBundle([language.replace("-", "_")], use_isolating=False)
            ids[language] = set()
            for path in sorted(folder.glob("*.ftl")):
                source = path.read_text(encoding="utf-8")
                ids[language] |= _check(path, source)
                bundle.add_resource(FluentResource(source))
            self._bundles[language] = bundle
        if default not in self._bundles:
            raise ContentError(directory / default, "folder", "the default language is missing")
        for language, known in ids.items():
            extra = known - ids[default]
            if extra:
                # A message only a translation has is a typo in its id, or a stale one.
                raise ContentError(
                    directory / language, ", ".join(sorted(extra)), "not in the default language"
                )
        self.keys = frozenset(ids[default])
        self._texts: dict[str, Texts] = {}

    @property
    def languages(self) -> Iterable[str]:
        return self._bundles.keys()

    def texts(self, language_code: str | None = None) -> Texts:
        """The catalog for a Telegram language_code: "pt-br", then "pt", then the default."""
        code = (language_code or "").lower()
        language = next(
            (c for c in (code, code.split("-")[0]) if c and c in self._bundles), self.default
        )
        texts = self._texts.get(language)
        if texts is None:
            chain = [self._bundles[language]]
            if language != self.default:
                chain.append(self._bundles[self.default])
            texts = self._texts[language] = Texts(language, tuple(chain), self._shared)
        return texts


def html_list(items: Iterable[str]) -> Html:
    """Bulleted lines, each escaped."""
    return Html("\n".join(f"• {escape(item)}" for item in items))


def joined(parts: Iterable[str], separator: str = "\n\n") -> Html:
    """Message parts that are already HTML, one after another."""
    return Html(separator.join(part for part in parts if part))
