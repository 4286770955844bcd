"""Rendering: escaping, the video button, and messages Telegram accepts."""

from __future__ import annotations

import dataclasses
import json
from datetime import date

from bot.catalog import Catalog
from bot.coach.progress import SessionRecord
from bot.coach.session import session_steps
from bot.emulator.spec import ApiSpec
from bot.programme import Programme, Safety
from bot.telegram.steps import exercise_keyboard, recall_severe_stop, step_screen


def _accepted(spec: ApiSpec, text: str, keyboard: object = None) -> list[str]:
    params = {"chat_id": "1", "text": text, "parse_mode": "HTML"}
    if keyboard is not None:
        params["reply_markup"] = json.dumps(keyboard.to_dict())  # type: ignore[attr-defined]
    return spec.check_request("sendMessage", params)[1]


def test_a_video_link_becomes_a_url_button(
    programme: Programme, catalog: Catalog, spec: ApiSpec
) -> None:
    t = catalog.texts()
    bridge = dataclasses.replace(programme.exercises[0], video_url="https://example.org/v")
    keyboard = exercise_keyboard(t, 1, 1, bridge)
    urls = [b.url for row in keyboard.inline_keyboard for b in row if b.url]
    assert urls == ["https://example.org/v"]
    assert _accepted(spec, "x", keyboard) == []
    plain = exercise_keyboard(t, 1, 1, programme.exercises[0])
    assert not [b for row in plain.inline_keyboard for b in row if b.url]


def test_names_are_escaped(programme: Programme, catalog: Catalog, spec: ApiSpec) -> None:
    t = catalog.texts()
    text = t(
        "welcome",
        hello=t.html("hello-named", name="<Bob & Co>"),
        programme=programme.title,
        count=len(programme.exercises),
        exercises="<none>",
        frequency=programme.frequency,
    )
    assert "&lt;Bob &amp; Co&gt;" in text
    assert "&lt;none&gt;" in text
    assert _accepted(spec, text) == []


def test_every_step_screen_is_valid(programme: Programme, catalog: Catalog, spec: ApiSpec) -> None:
    t = catalog.texts()
    for index, step in enumerate(session_steps(programme)):
        screen = step_screen(t, programme, 2**40, index, step)
        assert _accepted(spec, screen.text, screen.keyboard) == []


def test_a_stop_for_pain_is_recalled_by_its_day_once_hours_have_passed(
    catalog: Catalog, safety: Safety
) -> None:
    t = catalog.texts()
    today = date(2026, 12, 2)
    stopped = SessionRecord(1, today, 9, None, 0, 11, finished=True)
    assert recall_severe_stop(t, safety, stopped, today, None).startswith(
        "⚠️ Earlier today, your pain was <b>9/10</b>"
    )
    older = SessionRecord(1, date(2026, 11, 30), 9, None, 0, 11, finished=True)
    assert "Last time (" in recall_severe_stop(t, safety, older, today, 3)
    # A severe rating of the last few hours comes first, whatever it was part of.
    assert "In the last few hours you rated your pain <b>10/10</b>" in recall_severe_stop(
        t, safety, older, today, 10
    )
    assert recall_severe_stop(t, safety, None, today, 7) == ""
