"""Rendering: escaping, the video button, and messages Telegram accepts."""

from __future__ import annotations

import dataclasses
import json

from bot.catalog import Catalog
from bot.coach.session import session_steps
from bot.emulator.spec import ApiSpec
from bot.programme import Programme
from bot.telegram.steps import exercise_keyboard, step_screen


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
