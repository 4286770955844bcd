"""The emulator's checks: a request Telegram would reject must be caught."""

from __future__ import annotations

import json

import pytest

from bot.emulator.spec import BUNDLED_PATH, SPEC_PATH, ApiSpec, compact, html_to_text


def _send(spec: ApiSpec, **params: object) -> list[str]:
    raw = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    return spec.check_request("sendMessage", raw)[1]


def _keyboard(*buttons: dict[str, str]) -> dict[str, object]:
    return {"inline_keyboard": [list(buttons)]}


def test_a_good_message_passes(spec: ApiSpec) -> None:
    markup = _keyboard({"text": "Done", "callback_data": "s:1:2:d"})
    assert _send(spec, chat_id=5, text="<b>Hi</b> &amp; bye", parse_mode="HTML",
                 reply_markup=markup) == []  # fmt: skip


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"chat_id": 5}, "required parameter 'text' is missing"),
        ({"chat_id": 5, "text": "x", "colour": "red"}, "unknown parameter 'colour'"),
        ({"chat_id": 5, "text": ""}, "0 characters, allowed 1-4096"),
        ({"chat_id": 5, "text": "x" * 4097}, "4097 characters, allowed 1-4096"),
        ({"chat_id": 5, "text": "<b></b>", "parse_mode": "HTML"}, "0 characters"),
        ({"chat_id": 5, "text": "<b>x", "parse_mode": "HTML"}, "tags left open"),
        ({"chat_id": 5, "text": "<b>x</i>", "parse_mode": "HTML"}, "does not close"),
        ({"chat_id": 5, "text": "<div>x</div>", "parse_mode": "HTML"}, "unsupported tag"),
        ({"chat_id": 5, "text": "1 < 2", "parse_mode": "HTML"}, "unescaped '<'"),
        ({"chat_id": 5, "text": "R&D", "parse_mode": "HTML"}, "unescaped '&'"),
        ({"chat_id": "x", "text": "hi", "disable_notification": "yes"}, "not valid JSON"),
    ],
)
def test_what_telegram_would_reject_is_caught(
    spec: ApiSpec, params: dict[str, object], expected: str
) -> None:
    problems = _send(spec, **params)
    assert any(expected in p for p in problems), problems


def test_long_html_is_measured_after_entities(spec: ApiSpec) -> None:
    text = "<b>" + "x" * 4096 + "</b>"
    assert _send(spec, chat_id=5, text=text, parse_mode="HTML") == []
    # Emoji outside the basic plane count twice, as Telegram counts UTF-16 units.
    assert _send(spec, chat_id=5, text="😖" * 2049) != []


def test_buttons_are_checked(spec: ApiSpec) -> None:
    long_data = _keyboard({"text": "x", "callback_data": "d" * 65})
    assert any(
        "65 bytes, allowed 1-64" in p
        for p in _send(spec, chat_id=5, text="a", reply_markup=long_data)
    )
    two_actions = _keyboard({"text": "x", "callback_data": "a", "url": "https://e.org"})
    assert any(
        "exactly one action" in p
        for p in _send(spec, chat_id=5, text="a", reply_markup=two_actions)
    )
    no_text = _keyboard({"callback_data": "a"})
    assert any(
        "text is required" in p for p in _send(spec, chat_id=5, text="a", reply_markup=no_text)
    )


def test_html_to_text() -> None:
    assert html_to_text("<b>a</b> &lt;b&gt; &amp; <i>c</i>") == ("a <b> & c", [])


def test_other_methods_and_limits(spec: ApiSpec) -> None:
    problems = spec.check_request("setMyShortDescription", {"short_description": "x" * 121})[1]
    assert problems == ["setMyShortDescription.short_description: 121 characters, allowed 0-120"]
    problems = spec.check_request("answerCallbackQuery", {"callback_query_id": "1",
                                                          "text": "y" * 201})[1]  # fmt: skip
    assert problems and "allowed 0-200" in problems[0]
    assert spec.method_name("SENDMESSAGE") == "sendMessage"
    assert spec.method_name("sendMessages") is None


def test_bundled_facts_match_the_official_spec() -> None:
    if not SPEC_PATH.exists():
        pytest.skip(f"the official spec is not at {SPEC_PATH}")
    official = compact(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
    bundled = json.loads(BUNDLED_PATH.read_text(encoding="utf-8"))
    assert bundled == json.loads(json.dumps(official)), (
        "botapi.json is stale: run python -m bot.emulator refresh-spec"
    )
    assert bundled["version"] == "Bot API 10.1"
    assert ApiSpec.from_api_json(SPEC_PATH).methods == ApiSpec().methods
