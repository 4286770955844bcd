"""The content is the clinician's: checked word for word against the handout."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.programme import CONTENT_DIR, ContentError, Programme, load_programme, load_safety

HANDOUT = (
    Path(__file__).resolve().parents[2].parent
    / "shared"
    / "handout"
    / "buttocks-pain-relief-exercises.txt"
)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def handout() -> str:
    if not HANDOUT.exists():
        pytest.skip(f"the handout is not at {HANDOUT}")
    return _flat(HANDOUT.read_text(encoding="utf-8"))


def test_every_handout_text_is_word_for_word(programme: Programme, handout: str) -> None:
    texts = [programme.title, programme.frequency, *programme.pain_advice]
    for section in programme.education:
        texts += [f"## {section.title}", *section.text.split("\n\n")]
    for exercise in programme.exercises:
        texts += [
            f"## {exercise.title}",
            f"- Objective: {exercise.objective}",
            exercise.instructions,
            f"- {exercise.dose}",
        ]
        if exercise.progression:
            texts.append(f"{exercise.instructions} {exercise.progression}")
    for text in texts:
        assert _flat(text) in handout, text


def test_the_six_exercises_in_the_handouts_order(programme: Programme, handout: str) -> None:
    titles = [e.title for e in programme.exercises]
    assert titles == [
        "Glute Hip Bridge", "Prone Hip Extension", "Side Lying Hip Abduction",
        "Clamshells", "Figure 4 Stretch", "Piriformis Stretch",
    ]  # fmt: skip
    positions = [handout.index(f"## {title}") for title in titles]
    assert positions == sorted(positions)


def test_sides_and_holds_match_the_doses(programme: Programme) -> None:
    for exercise in programme.exercises:
        assert exercise.each_side == ("on each side" in exercise.dose)
        assert (exercise.hold_seconds == 30) == exercise.dose.startswith("Hold for 30 seconds")
        assert exercise.video_url is None  # none known yet
    assert [len(e.sides) for e in programme.exercises] == [1, 2, 2, 2, 2, 2]


def test_education_has_the_three_sections(programme: Programme) -> None:
    assert [s.title for s in programme.education] == [
        "What causes buttocks pain?", "How is it treated?", "How to prevent buttocks pain?",
    ]  # fmt: skip


def test_safety_advice_names_its_source() -> None:
    safety = load_safety()
    for note in (safety.disclaimer, safety.stop_rule):
        assert note.source
    assert len(safety.red_flags.symptoms) == 4
    assert "NHS" in safety.red_flags.source


def test_safety_advice_must_be_marked_as_ours(tmp_path: Path) -> None:
    text = (CONTENT_DIR / "safety.toml").read_text()
    path = tmp_path / "safety.toml"
    path.write_text(text.replace("[stop_rule]\nin_handout = false", "[stop_rule]"))
    with pytest.raises(ContentError, match="stop_rule: 'in_handout = false' is required"):
        load_safety(path)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "programme.toml"
    path.write_text(text)
    return path


GOOD = (CONTENT_DIR / "programme.toml").read_text()


@pytest.mark.parametrize(
    ("change", "entry", "problem"),
    [
        (
            lambda t: t.replace('objective = "strengthen gluteus maximus and hamstrings"\n', ""),
            "exercise 2 ('prone_hip_extension')",
            "'objective' is missing",
        ),
        (
            lambda t: t.replace('sides = "none"', 'sides = "some"'),
            "exercise 1 ('glute_hip_bridge')",
            "'sides' must be",
        ),
        (
            lambda t: t.replace("hold_seconds = 30", "hold_seconds = -5", 1),
            "exercise 5 ('figure_4_stretch')",
            "'hold_seconds' must be a whole number",
        ),
        (
            lambda t: t.replace('key = "clamshells"', 'key = "glute_hip_bridge"'),
            "exercise 'glute_hip_bridge'",
            "used twice",
        ),
        (
            lambda t: t.replace('video_url = ""', 'video_url = "javascript:x"', 1),
            "exercise 1 ('glute_hip_bridge')",
            "'video_url'",
        ),
        (lambda t: t.replace("[[education]]", "[[lessons]]"), "top level", "[[education]]"),
        (lambda t: t + "\nbroken = = 1\n", "file", "not valid TOML"),
        (
            lambda t: t.replace('frequency = "Do', 'frequency = 3 # "Do'),
            "top level",
            "'frequency' must be text",
        ),
        (
            lambda t: t.replace('title = "Clamshells"', 'title = ""'),
            "exercise 4 ('clamshells')",
            "'title' is empty",
        ),
    ],
)
def test_a_broken_file_names_file_entry_and_problem(
    tmp_path: Path,
    change,
    entry: str,
    problem: str,  # type: ignore[no-untyped-def]
) -> None:
    path = _write(tmp_path, change(GOOD))
    with pytest.raises(ContentError) as caught:
        load_programme(path)
    assert caught.value.path == path
    assert caught.value.entry == entry
    assert problem in caught.value.problem
    assert str(path) in str(caught.value)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="not found"):
        load_programme(tmp_path / "nope.toml")
