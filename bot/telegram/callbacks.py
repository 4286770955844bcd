"""Callback data: what a button means, small enough for Telegram's 64 bytes, and the
pattern each feature's handler answers.

A session button names its session and step ("s:42:3:d"), so that a press from an older
message, or the same press twice, is recognised as stale instead of being applied to
whatever step the session has reached since: the session's state is in the database,
and the button says which state it was made for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from telegram import MaybeInaccessibleMessage, Message

from bot.coach.pain import PAIN_MAX, PAIN_MIN
from bot.coach.session import Outcome

SessionAction = Literal["done", "skip", "too_painful", "again", "timer", "continue", "finish"]
_ACTION_CODES: dict[SessionAction, str] = {
    "done": "d",
    "skip": "k",
    "too_painful": "p",
    "again": "r",
    "timer": "t",
    "continue": "c",
    "finish": "f",
}
_CODE_ACTIONS = {code: action for action, code in _ACTION_CODES.items()}
# The actions that answer an exercise, and the outcome each records.
PRESSED_OUTCOMES: dict[SessionAction | None, Outcome] = {
    "done": Outcome.DONE,
    "skip": Outcome.SKIPPED,
    "too_painful": Outcome.TOO_PAINFUL,
}

SESSION_PATTERN = r"^s:"

# Buttons outside a session.
START_SESSION = "go"
START_SESSION_PATTERN = f"^{START_SESSION}$"
# After the day's last session: "Start anyway" or "Not today".
START_ANYWAY = "go:more"
REST_TODAY = "go:rest"
BEYOND_DOSE_PATTERN = r"^go:(more|rest)$"
LEARN = "learn"
LEARN_PATTERN = f"^{LEARN}$"
RED_FLAGS_NONE = "rf:none"
RED_FLAGS_REPORTED = "rf:yes"
RED_FLAGS_PATTERN = r"^rf:"
# Set-up's "keep these reminder times?"
REMINDERS_KEEP = "rt:keep"
REMINDERS_CHANGE = "rt:change"
SETUP_TIMES_PATTERN = r"^rt:"
ZONE_PREFIX = "tz:"
ZONE_CHANGE = "tz:?"
ZONE_PATTERN = r"^tz:"
# /delete's confirmation names the account row it was shown for, so that an old
# confirmation can never delete the new account of someone who deleted and came back.
DELETE_PREFIX = "del:"
DELETE_KEEP = "del:no"
DELETE_PATTERN = f"^{DELETE_PREFIX}"


def delete_button(user_row_id: int) -> str:
    return f"{DELETE_PREFIX}{user_row_id}"


def parse_delete_button(data: str) -> int | None:
    value = data.removeprefix(DELETE_PREFIX)
    return int(value) if value.isdigit() else None


@dataclass(frozen=True)
class SessionPress:
    session_id: int
    step: int
    action: SessionAction | None = None
    pain: int | None = None


def session_button(session_id: int, step: int, action: SessionAction) -> str:
    return f"s:{session_id}:{step}:{_ACTION_CODES[action]}"


def pain_button(session_id: int, step: int, score: int) -> str:
    return f"s:{session_id}:{step}:n{score}"


def zone_button(zone: str) -> str:
    return ZONE_PREFIX + zone


def parse_session_press(data: str) -> SessionPress | None:
    parts = data.split(":")
    if len(parts) != 4 or parts[0] != "s" or not parts[1].isdigit() or not parts[2].isdigit():
        return None
    session_id, step, code = int(parts[1]), int(parts[2]), parts[3]
    if code in _CODE_ACTIONS:
        return SessionPress(session_id, step, action=_CODE_ACTIONS[code])
    if code.startswith("n") and code[1:].isdigit() and PAIN_MIN <= int(code[1:]) <= PAIN_MAX:
        return SessionPress(session_id, step, pain=int(code[1:]))
    return None


def shows_earlier_step(
    message: MaybeInaccessibleMessage | None, card_message_id: int | None, step: int
) -> bool:
    """Whether `message`, as Telegram has it now, is the session's own message and its
    buttons are for a step before `step` (an edit carried out late put them back)."""
    if not isinstance(message, Message) or message.message_id != card_message_id:
        return False
    markup = message.reply_markup
    for row in markup.inline_keyboard if markup else ():
        for button in row:
            data = button.callback_data
            press = parse_session_press(data) if isinstance(data, str) else None
            if press is not None:
                return press.step < step
    return False


# Buttons of a reminder: "rm:<delivery id>:<action>".
ReminderAction = Literal["go", "snooze", "skip"]
REMINDER_PATTERN = r"^rm:"


def reminder_button(delivery_id: int, action: ReminderAction) -> str:
    return f"rm:{delivery_id}:{action}"


def parse_reminder_press(data: str) -> tuple[int, ReminderAction] | None:
    parts = data.split(":")
    if len(parts) != 3 or parts[0] != "rm" or not parts[1].isdigit():
        return None
    actions: dict[str, ReminderAction] = {"go": "go", "snooze": "snooze", "skip": "skip"}
    action = actions.get(parts[2])
    return (int(parts[1]), action) if action else None


# The /reminders screen.
REMINDERS_MORNING = "rs:morning"
REMINDERS_EVENING = "rs:evening"
REMINDERS_OFF = "rs:off"
REMINDERS_ON = "rs:on"
REMINDER_SETTINGS_PATTERN = r"^rs:"
