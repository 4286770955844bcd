"""The states a person, a session and a reminder can be in, as the database stores them.

Each is a StrEnum so that a stored value and the name used in code are one thing: a
typo is a mypy error, and the models, the store and the shell share these names.
"""

from __future__ import annotations

from enum import StrEnum


class Onboarding(StrEnum):
    """Where set-up stands; a person moves through these in order, once."""

    RED_FLAGS = "red_flags"
    TIME_ZONE = "time_zone"
    REMINDERS = "reminders"
    DONE = "done"


class AwaitingText(StrEnum):
    """What the next typed message answers outside a session."""

    NOTHING = ""
    TIME_ZONE = "time_zone"
    REMINDER_TIMES = "reminder_times"  # both times at once, during set-up
    MORNING_TIME = "morning_time"  # one time, from /reminders
    EVENING_TIME = "evening_time"


class RedFlagAnswer(StrEnum):
    """The last answer to the red-flag question."""

    NOT_ASKED = ""
    NONE = "none"
    REPORTED = "reported"


class SessionStatus(StrEnum):
    OPEN = "open"
    LEFT = "left"  # after /cancel; /session resumes it the same day
    FINISHED = "finished"
    ABANDONED = "abandoned"  # not finished on its day


# A session that has not ended: in progress, or left with /cancel to resume later.
UNFINISHED = (SessionStatus.OPEN, SessionStatus.LEFT)


class DeliveryStatus(StrEnum):
    """One reminder's life: claimed (pending), then sent or skipped or failed, once."""

    PENDING = "pending"
    SENT = "sent"
    SNOOZED = "snoozed"  # to send again at its due_at
    SKIPPED = "skipped"  # see DeliveryReason
    FAILED = "failed"  # see DeliveryReason
    MISSED = "missed"  # sent, never answered, replaced by a newer reminder


class DeliveryReason(StrEnum):
    NONE = ""
    LATE = "late"
    RECENT_SESSION = "recent_session"
    BY_USER = "by_user"
    BLOCKED = "blocked"
