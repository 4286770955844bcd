"""Check Bot API requests against the official spec (Bot API 10.1).

The facts the checks need (methods, types, field names and types, which are required,
and the limits stated in the field descriptions) are kept in `botapi.json` beside this
file, derived from the official machine-readable spec `api.json` by `compact()`:
`python -m bot.emulator refresh-spec [path/to/api.json]` rewrites it, and a
test checks that it still matches. So the emulator (and the demo) work without the
spec at hand.

What is checked, for every method and every nested object: field names exist, required
fields are present, values have one of the allowed types, and the limits that the spec
states in words ("1-4096 characters after entities parsing", "1-64 bytes") hold. Text
sent with parse_mode HTML must be well formed, use only the tags Telegram supports, and
is measured after entity parsing, as Telegram measures it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from html import unescape
from pathlib import Path
from typing import Any

# The official spec lives in ../shared beside the checkout; TELEGRAM_API_SPEC names another.
SPEC_PATH = Path(
    os.environ.get("TELEGRAM_API_SPEC")
    or Path(__file__).resolve().parents[2].parent / "shared" / "telegram-bot-api" / "api.json"
)
BUNDLED_PATH = Path(__file__).resolve().parent / "botapi.json"

_LIMIT = re.compile(r"(\d+)-(\d+) (characters|bytes)( after entit(?:y|ies) parsing)?")
# Tags Telegram accepts with parse_mode HTML (Bot API, "HTML style").
_HTML_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "span", "tg-spoiler",
    "a", "tg-emoji", "code", "pre", "blockquote", "tg-time",
}  # fmt: skip
_HTML_TOKEN = re.compile(
    r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)((?:\s+[^>]*)?)>|&(#\d+|#x[0-9a-fA-F]+|lt|gt|amp|quot);|[<>&]"
)


def utf16_length(text: str) -> int:
    """Telegram counts text length in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def html_to_text(html: str) -> tuple[str, list[str]]:
    """The visible text of Telegram HTML, and what is wrong with the markup."""
    problems: list[str] = []
    stack: list[str] = []
    visible: list[str] = []
    position = 0
    for match in _HTML_TOKEN.finditer(html):
        visible.append(html[position : match.start()])
        position = match.end()
        closing, tag, _attributes, entity = match.groups()
        if entity is not None:
            visible.append(unescape(match.group(0)))
        elif tag is None:
            problems.append(
                f"unescaped {match.group(0)!r} at offset {match.start()} (use &lt; &gt; &amp;)"
            )
        elif tag.lower() not in _HTML_TAGS:
            problems.append(f"unsupported tag <{closing}{tag}>")
        elif closing:
            if not stack or stack[-1] != tag.lower():
                problems.append(f"</{tag}> does not close the open tag {stack[-1:] or 'none'}")
            else:
                stack.pop()
        else:
            stack.append(tag.lower())
    visible.append(html[position:])
    if stack:
        problems.append(f"tags left open: {stack}")
    return "".join(visible), problems


Limit = tuple[int, int, str, bool]  # low, high, "characters" or "bytes", after entities


@dataclass(frozen=True)
class Field:
    name: str
    types: tuple[str, ...]
    required: bool
    limit: Limit | None


def _limit(description: str) -> Limit | None:
    match = _LIMIT.search(description)
    if not match:
        return None
    return int(match.group(1)), int(match.group(2)), match.group(3), bool(match.group(4))


def compact(api: Mapping[str, Any]) -> dict[str, Any]:
    """The facts of api.json that the checks use, without its prose."""

    def fields(entry: Mapping[str, Any]) -> list[list[Any]]:
        return [
            [f["name"], f["types"], bool(f.get("required")), _limit(f.get("description", ""))]
            for f in entry.get("fields", [])
        ]

    return {
        "version": api.get("version", "?"),
        "methods": {name: fields(method) for name, method in sorted(api["methods"].items())},
        "types": {
            name: {"fields": fields(kind), "subtypes": kind.get("subtypes", [])}
            for name, kind in sorted(api["types"].items())
        },
    }


class ApiSpec:
    def __init__(self, facts: Mapping[str, Any] | None = None) -> None:
        if facts is None:
            facts = json.loads(BUNDLED_PATH.read_text(encoding="utf-8"))
        self.version: str = facts["version"]
        self.methods = {name: _fields(entry) for name, entry in facts["methods"].items()}
        self.method_names = {name.lower(): name for name in self.methods}
        self.types = {name: _fields(kind["fields"]) for name, kind in facts["types"].items()}
        self.subtypes: dict[str, list[str]] = {
            name: kind["subtypes"] for name, kind in facts["types"].items() if kind["subtypes"]
        }

    @classmethod
    def from_api_json(cls, path: Path = SPEC_PATH) -> ApiSpec:
        return cls(compact(json.loads(path.read_text(encoding="utf-8"))))

    def method_name(self, requested: str) -> str | None:
        """Telegram method names are case-insensitive."""
        return self.method_names.get(requested.lower())

    def check_request(
        self, method: str, raw: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[str]]:
        """Decode form or JSON parameters of `method` and list every violation of the spec."""
        fields = self.methods[method]
        problems: list[str] = []
        values: dict[str, Any] = {}
        for name, value in raw.items():
            field = fields.get(name)
            if field is None:
                problems.append(f"{method}: unknown parameter {name!r}")
                continue
            decoded, problem = self._decode(field, value)
            if problem:
                problems.append(f"{method}.{name}: {problem}")
                continue
            values[name] = decoded
        for field in fields.values():
            if field.required and field.name not in values and field.name not in raw:
                problems.append(f"{method}: required parameter {field.name!r} is missing")
        for name, value in values.items():
            problems.extend(self._check_value(f"{method}.{name}", fields[name], value, values))
        return values, problems

    def _decode(self, field: Field, value: Any) -> tuple[Any, str | None]:
        """Form fields arrive as strings: JSON for everything but String (as PTB sends them)."""
        if not isinstance(value, str):
            return value, None
        if field.types == ("String",):
            return value, None
        try:
            return json.loads(value), None
        except json.JSONDecodeError:
            if "String" in field.types:
                return value, None
            return None, f"not valid JSON for {'/'.join(field.types)}: {value[:60]!r}"

    def _check_value(
        self, where: str, field: Field, value: Any, siblings: Mapping[str, Any]
    ) -> list[str]:
        failures: list[list[str]] = []
        for kind in field.types:
            problems = self._check_type(where, kind, value)
            if not problems:
                if isinstance(value, str):
                    return self._check_limits(where, field, value, siblings)
                return []
            failures.append(problems)
        if len(failures) == 1:
            return failures[0]
        return [f"{where}: matches none of {' / '.join(field.types)}: {failures}"]

    def _check_type(self, where: str, kind: str, value: Any) -> list[str]:
        if kind.startswith("Array of "):
            if not isinstance(value, list):
                return [f"{where}: expected {kind}"]
            inner = kind.removeprefix("Array of ")
            return [
                p
                for i, item in enumerate(value)
                for p in self._check_type(f"{where}[{i}]", inner, item)
            ]
        if kind == "Integer":
            ok = isinstance(value, int) and not isinstance(value, bool)
            return [] if ok else [f"{where}: expected Integer, got {value!r}"]
        if kind == "Float":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
            return [] if ok else [f"{where}: expected Float, got {value!r}"]
        if kind == "Boolean":
            return [] if isinstance(value, bool) else [f"{where}: expected Boolean, got {value!r}"]
        if kind == "String":
            return [] if isinstance(value, str) else [f"{where}: expected String, got {value!r}"]
        if kind == "InputFile":
            # An upload arrives as a multipart part; a string here is a file_id or URL.
            return (
                []
                if not isinstance(value, str | int | float | list | dict)
                else [f"{where}: expected an uploaded file"]
            )
        if kind in self.subtypes:
            options = [self._check_type(where, sub, value) for sub in self.subtypes[kind]]
            if any(not problems for problems in options):
                return []
            return [f"{where}: matches no kind of {kind}"]
        if kind in self.types:
            return self._check_object(where, kind, value)
        return [f"{where}: unknown type {kind}"]

    def _check_object(self, where: str, kind: str, value: Any) -> list[str]:
        if not isinstance(value, dict):
            return [f"{where}: expected a {kind} object"]
        fields = self.types[kind]
        problems = [
            f"{where}: {kind} has no field {name!r}" for name in value if name not in fields
        ]
        if kind == "InlineKeyboardButton":
            # The spec, in words: exactly one field besides text, icon_custom_emoji_id, style.
            kinds = [
                name for name in value if name not in ("text", "icon_custom_emoji_id", "style")
            ]
            if len(kinds) != 1:
                problems.append(f"{where}: a button needs exactly one action field, has {kinds}")
        for field in fields.values():
            if field.name not in value:
                if field.required:
                    problems.append(f"{where}: {kind}.{field.name} is required")
                continue
            problems.extend(
                self._check_value(f"{where}.{field.name}", field, value[field.name], value)
            )
        return problems

    def _check_limits(
        self, where: str, field: Field, value: str, siblings: Mapping[str, Any]
    ) -> list[str]:
        if field.limit is None:
            return []
        low, high, unit, after_entities = field.limit
        problems: list[str] = []
        text = value
        if after_entities:
            mode = siblings.get(_parse_mode_field(field.name))
            if mode == "HTML":
                text, markup = html_to_text(value)
                problems.extend(f"{where}: {problem}" for problem in markup)
        size = len(text.encode()) if unit == "bytes" else utf16_length(text.strip())
        if not low <= size <= high:
            problems.append(f"{where}: {size} {unit}, allowed {low}-{high}")
        return problems


def _parse_mode_field(name: str) -> str:
    """The parse mode that governs a text field: `text` -> `parse_mode`, `caption` -> ..."""
    return "parse_mode" if name in ("text", "caption") else f"{name}_parse_mode"


def _fields(raw: list[list[Any]]) -> dict[str, Field]:
    return {
        name: Field(name, tuple(types), required, tuple(limit) if limit else None)
        for name, types, required, limit in raw
    }
