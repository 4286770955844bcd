"""Rendering: escaping, the video button, and messages Telegram accepts."""

from __future__ import annotations

import dataclasses
import json

from bot.coach.session import session_steps
from bot.emulator.spec import ApiSpec
from bot.programme import Programme, Safety
from bot.telegram.render import Renderer


def _accepted(spec: ApiSpec, text: str, keyboard: object = None) -> list[str]:
    params = {"chat_id": "1", "text": text, "parse_mode": "HTML"}
    if keyboard is not None:
        params["reply_markup"] = json.dumps(keyboard.to_dict())  # type: ignore[attr-defined]
    return spec.check_request("sendMessage", params)[1]


def test_a_video_link_becomes_a_url_button(
    programme: Programme, safety: Safety, spec: ApiSpec
) -> None:
    bridge = dataclasses.replace(programme.exercises[0], video_url="https://example.org/v")
    with_video = dataclasses.replace(programme, exercises=(bridge, *programme.exercises[1:]))
    keyboard = Renderer(with_video, safety).exercise_keyboard(1, 1, bridge)
    urls = [b.url for row in keyboard.inline_keyboard for b in row if b.url]
    assert urls == ["https://example.org/v"]
    assert _accepted(spec, "x", keyboard) == []
    plain = Renderer(programme, safety).exercise_keyboard(1, 1, programme.exercises[0])
    assert not [b for row in plain.inline_keyboard for b in row if b.url]


def test_names_are_escaped(programme: Programme, safety: Safety, spec: ApiSpec) -> None:
    screen = Renderer(programme, safety).welcome("<Bob & Co>")
    assert "&lt;Bob &amp; Co&gt;" in screen.text
    assert _accepted(spec, screen.text) == []


def test_every_step_screen_is_valid(programme: Programme, safety: Safety, spec: ApiSpec) -> None:
    render = Renderer(programme, safety)
    for index, step in enumerate(session_steps(programme)):
        screen = render.step(2**40, index, step)
        assert _accepted(spec, screen.text, screen.keyboard) == []
