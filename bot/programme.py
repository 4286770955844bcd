"""Load the exercise programme and the safety texts from ``content/`` into immutable values.

The programme is data, so that a clinician can replace it: the bot coaches whatever
``programme.toml`` describes. Everything is validated once at start-up; a malformed or
incomplete file stops the bot with a message naming the file, the entry and what is wrong.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from bot.coach.safety import QUOTED

CONTENT_DIR = Path(__file__).resolve().parent.parent / "content"

Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")


class ContentError(Exception):
    """A content file is malformed or incomplete."""

    def __init__(self, path: Path, entry: str, problem: str) -> None:
        super().__init__(f"{path}: {entry}: {problem}")
        self.path = path
        self.entry = entry
        self.problem = problem


@dataclass(frozen=True)
class EducationSection:
    title: str
    text: str


@dataclass(frozen=True)
class Exercise:
    key: str
    title: str
    objective: str
    instructions: str
    dose: str
    # True when the handout says "on each side": the bot tracks left and right apart.
    each_side: bool
    hold_seconds: int | None = None
    progression: str | None = None
    video_url: str | None = None
    # Ours (content/sides.toml): which leg each side means, "left" and "right".
    side_notes: tuple[tuple[str, str], ...] = ()

    def side_note(self, side: Side | None) -> str:
        return dict(self.side_notes).get(side or "", "")

    @property
    def sides(self) -> tuple[Side | None, ...]:
        return SIDES if self.each_side else (None,)


@dataclass(frozen=True)
class Programme:
    title: str
    frequency: str
    sessions_per_day_min: int
    sessions_per_day_max: int
    pain_advice: tuple[str, ...]
    education: tuple[EducationSection, ...]
    exercises: tuple[Exercise, ...]
    # Ours, from [coach]: the /learn command's description, and the export files' prefix.
    learn_summary: str = ""
    file_prefix: str = "programme"

    def exercise(self, key: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.key == key:
                return exercise
        raise KeyError(key)


@dataclass(frozen=True)
class SafetyNote:
    text: str
    source: str


@dataclass(frozen=True)
class RedFlags:
    question: str
    symptoms: tuple[str, ...]
    seek_care: str
    source: str


@dataclass(frozen=True)
class Safety:
    disclaimer: SafetyNote
    stop_rule: SafetyNote
    red_flags: RedFlags
    # Advice the pain rules in bot/coach/safety.py give.
    pain_monitoring: SafetyNote
    stop_and_contact: SafetyNote
    rising_pain: SafetyNote
    leave_out: SafetyNote
    # Advice for a rating sent outside a session.
    checkin_high: SafetyNote
    checkin_above_usual: SafetyNote
    after_severe_stop: SafetyNote
    checkin_after_high: SafetyNote
    checkin_after_severe: SafetyNote
    checkin_severe: SafetyNote
    over_exercise: SafetyNote


class _Reader:
    """Typed access to one table of a TOML file, raising ContentError with context."""

    def __init__(self, path: Path, entry: str, table: object) -> None:
        if not isinstance(table, Mapping):
            raise ContentError(path, entry, "must be a table")
        self.path, self.entry, self.table = path, entry, table

    def fail(self, problem: str) -> ContentError:
        return ContentError(self.path, self.entry, problem)

    def text(self, name: str, *, optional: bool = False, empty_ok: bool = False) -> str:
        value = self.table.get(name)
        if value is None:
            if optional:
                return ""
            raise self.fail(f"'{name}' is missing")
        if not isinstance(value, str):
            raise self.fail(f"'{name}' must be text, not {type(value).__name__}")
        if not value.strip() and not (optional or empty_ok):
            raise self.fail(f"'{name}' is empty")
        return value.strip()

    def integer(self, name: str, *, optional: bool = False, minimum: int = 0) -> int | None:
        value = self.table.get(name)
        if value is None:
            if optional:
                return None
            raise self.fail(f"'{name}' is missing")
        if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
            raise self.fail(f"'{name}' must be a whole number of at least {minimum}")
        return value

    def texts(self, name: str) -> tuple[str, ...]:
        value = self.table.get(name)
        if not isinstance(value, list) or not value:
            raise self.fail(f"'{name}' must be a non-empty list of texts")
        if not all(isinstance(item, str) and item.strip() for item in value):
            raise self.fail(f"'{name}' must hold only non-empty texts")
        return tuple(item.strip() for item in value)

    def tables(self, name: str) -> list[Any]:
        value = self.table.get(name)
        if not isinstance(value, list) or not value:
            raise self.fail(f"'[[{name}]]' entries are missing")
        return value

    def sub(self, name: str) -> _Reader:
        if name not in self.table:
            raise self.fail(f"'[{name}]' is missing")
        return _Reader(self.path, name, self.table[name])


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise ContentError(path, "file", "not found") from None
    except tomllib.TOMLDecodeError as error:
        raise ContentError(path, "file", f"not valid TOML ({error})") from None


def _exercise(path: Path, index: int, table: object) -> Exercise:
    raw_key = table.get("key") if isinstance(table, Mapping) else None
    entry = f"exercise {index + 1}" + (f" ({raw_key!r})" if isinstance(raw_key, str) else "")
    reader = _Reader(path, entry, table)
    key = reader.text("key")
    if not key.replace("_", "").isalnum() or not key.isascii() or len(key) > 32:
        # The key goes into the database and into callback data, so keep it short and plain.
        raise reader.fail("'key' must be 1-32 ASCII letters, digits or underscores")
    sides = reader.text("sides")
    if sides not in ("both", "none"):
        raise reader.fail('\'sides\' must be "both" or "none"')
    video_url = reader.text("video_url", optional=True)
    if video_url and not video_url.startswith("https://"):
        raise reader.fail("'video_url' must be empty or start with https://")
    return Exercise(
        key=key,
        title=reader.text("title"),
        objective=reader.text("objective"),
        instructions=reader.text("instructions"),
        dose=reader.text("dose"),
        each_side=sides == "both",
        hold_seconds=reader.integer("hold_seconds", optional=True, minimum=1),
        progression=reader.text("progression", optional=True) or None,
        video_url=video_url or None,
    )


def _side_notes(path: Path, exercises: tuple[Exercise, ...]) -> tuple[Exercise, ...]:
    """Add content/sides.toml's notes to the exercises done on each side (one for each
    side of each, and none for any other)."""
    if not path.exists():
        return exercises
    reader = _Reader(path, "top level", _read_toml(path))
    _not_from_handout(reader)
    reader.text("source")
    known = {e.key for e in exercises if e.each_side}
    extra = set(reader.table) - known - {"in_handout", "source"}
    if extra:
        raise reader.fail(f"no exercise done on each side is called {sorted(extra)}")
    result = []
    for exercise in exercises:
        if exercise.key in known:
            notes = reader.sub(exercise.key)
            pairs = tuple((side, notes.text(side)) for side in SIDES)
            exercise = replace(exercise, side_notes=pairs)
        result.append(exercise)
    return tuple(result)


def load_programme(
    path: Path = CONTENT_DIR / "programme.toml", sides: Path | None = None
) -> Programme:
    reader = _Reader(path, "top level", _read_toml(path))
    education = tuple(
        EducationSection(section.text("title"), section.text("text"))
        for section in (
            _Reader(path, f"education {i + 1}", table)
            for i, table in enumerate(reader.tables("education"))
        )
    )
    exercises = tuple(
        _exercise(path, i, table) for i, table in enumerate(reader.tables("exercises"))
    )
    exercises = _side_notes(sides or path.with_name("sides.toml"), exercises)
    seen: set[str] = set()
    for exercise in exercises:
        if exercise.key in seen:
            raise ContentError(path, f"exercise {exercise.key!r}", "'key' is used twice")
        seen.add(exercise.key)
    low = reader.integer("sessions_per_day_min", minimum=1)
    high = reader.integer("sessions_per_day_max", minimum=1)
    assert low is not None and high is not None
    if high < low:
        raise reader.fail("'sessions_per_day_max' is below 'sessions_per_day_min'")
    coach = reader.sub("coach")
    file_prefix = coach.text("file_prefix")
    if not file_prefix.replace("-", "").isalnum() or not file_prefix.isascii():
        raise coach.fail("'file_prefix' must be ASCII letters, digits and hyphens")
    return Programme(
        learn_summary=coach.text("learn_summary"),
        file_prefix=file_prefix,
        title=reader.text("title"),
        frequency=reader.text("frequency"),
        sessions_per_day_min=low,
        sessions_per_day_max=high,
        pain_advice=reader.texts("pain_advice"),
        education=education,
        exercises=exercises,
    )


def _not_from_handout(reader: _Reader) -> None:
    # Advice of ours must say so, so that nobody takes it for the clinician's words.
    if reader.table.get("in_handout") is not False:
        raise reader.fail("'in_handout = false' is required: this file holds our own advice")


def _note(reader: _Reader) -> SafetyNote:
    _not_from_handout(reader)
    text = reader.text("text")
    try:
        text = text.format_map(QUOTED)
    except (KeyError, ValueError, IndexError) as error:
        raise reader.fail(f"'text' quotes an unknown number {error}") from None
    return SafetyNote(text=text, source=reader.text("source"))


def load_safety(path: Path = CONTENT_DIR / "safety.toml") -> Safety:
    reader = _Reader(path, "top level", _read_toml(path))
    flags = reader.sub("red_flags")
    _not_from_handout(flags)
    return Safety(
        disclaimer=_note(reader.sub("disclaimer")),
        stop_rule=_note(reader.sub("stop_rule")),
        red_flags=RedFlags(
            question=flags.text("question"),
            symptoms=flags.texts("symptoms"),
            seek_care=flags.text("seek_care"),
            source=flags.text("source"),
        ),
        pain_monitoring=_note(reader.sub("pain_monitoring")),
        stop_and_contact=_note(reader.sub("stop_and_contact")),
        rising_pain=_note(reader.sub("rising_pain")),
        leave_out=_note(reader.sub("leave_out")),
        checkin_high=_note(reader.sub("checkin_high")),
        checkin_above_usual=_note(reader.sub("checkin_above_usual")),
        after_severe_stop=_note(reader.sub("after_severe_stop")),
        checkin_after_high=_note(reader.sub("checkin_after_high")),
        checkin_after_severe=_note(reader.sub("checkin_after_severe")),
        checkin_severe=_note(reader.sub("checkin_severe")),
        over_exercise=_note(reader.sub("over_exercise")),
    )
