"""The tables. Every time is stored in UTC and read back time-zone aware."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, TypeVar

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from bot.coach.session import Outcome
from bot.coach.states import (
    AwaitingText,
    DeliveryReason,
    DeliveryStatus,
    Onboarding,
    RedFlagAnswer,
    SessionStatus,
)


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on SQLite (naive storage) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _utc(nullable: bool = False) -> Any:
    return Field(sa_column=Column(UTCDateTime(), nullable=nullable))


E = TypeVar("E", bound=StrEnum)


class StateText(TypeDecorator[E]):
    """A StrEnum stored as its text value (a plain VARCHAR, as the migrations made it) and
    read back as the enum, so code compares states by name, never by a retyped string."""

    impl = String
    cache_ok = True

    def __init__(self, states: type[E], length: int) -> None:
        super().__init__(length)
        self.states = states

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        return None if value is None else self.states(value).value

    def process_result_value(self, value: Any, dialect: Dialect) -> E | None:
        return None if value is None else self.states(value)


def _state(default: StrEnum, length: int = 16, *, index: bool = False) -> Any:
    return Field(
        default=default,
        sa_column=Column(
            StateText(type(default), length), nullable=False, default=default, index=index
        ),
    )


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    first_name: str = Field(default="", max_length=256)
    time_zone: str = Field(max_length=64)
    # Local times of day, "HH:MM", in `time_zone`: the two daily reminders.
    morning_reminder: str = Field(max_length=5)
    evening_reminder: str = Field(max_length=5)
    # Where set-up stands: red_flags, time_zone, reminders, done (coach.states.Onboarding).
    onboarding: Onboarding = _state(Onboarding.RED_FLAGS)
    # What the next typed text answers outside a session: "", time_zone, reminder_times,
    # morning_time or evening_time (coach.states.AwaitingText).
    awaiting_text: AwaitingText = _state(AwaitingText.NOTHING)
    # The last answer to the red-flag question: "", none or reported.
    red_flags: RedFlagAnswer = _state(RedFlagAnswer.NOT_ASKED)
    red_flags_answered_at: datetime | None = _utc(nullable=True)
    created_at: datetime = _utc()
    # False after Telegram said the person blocked the bot; a new message or an unblock
    # makes them active again. Inactive people get no reminders.
    active: bool = True
    reminders_on: bool = True
    # The next reminder (the scheduler sweeps this index); empty while reminders are off
    # or set-up is not finished.
    next_reminder_at: datetime | None = Field(
        default=None, sa_column=Column(UTCDateTime(), nullable=True, index=True)
    )
    next_reminder_slot: str | None = Field(default=None, max_length=8)
    next_reminder_date: str | None = Field(default=None, max_length=10)
    # When the handout's progression was suggested (once; see bot/coach/progress.py).
    progression_offered_at: datetime | None = _utc(nullable=True)
    # The language Telegram last reported for the person ("de", "pt-br"; "" unknown):
    # it picks the message catalog, also for reminders and timers sent without an update.
    language: str = Field(default="", max_length=16)


class ExerciseSession(SQLModel, table=True):
    __tablename__ = "sessions"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    # The user's calendar day when it started: a session resumes only on the same day.
    local_date: str = Field(max_length=10)
    # open, left (after /cancel), finished, abandoned (not finished that day).
    status: SessionStatus = _state(SessionStatus.OPEN, index=True)
    step: int = 0
    paused_for_pain: bool = False
    pain_before: int | None = None
    pain_after: int | None = None
    started_at: datetime = _utc()
    finished_at: datetime | None = _utc(nullable=True)
    # The last answer given in it: a session counts as in progress (no reminder) only
    # while someone is answering, not because it was opened.
    answered_at: datetime | None = _utc(nullable=True)
    # The message that shows the session's current step and carries its buttons: a tap
    # edits it in place; a new one (after typed text, a hold's end) replaces it, and
    # this one loses its buttons, so that one message at a time has live buttons.
    card_message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # A running hold timer: which step it belongs to and when it ends.
    timer_step: int | None = None
    timer_ends_at: datetime | None = _utc(nullable=True)


class ExerciseResult(SQLModel, table=True):
    __tablename__ = "exercise_results"
    # One answer per step: a replayed or doubled press can never record twice.
    __table_args__ = (UniqueConstraint("session_id", "step", name="uq_result_session_step"),)

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("sessions.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    step: int
    exercise_key: str = Field(max_length=32)
    side: str | None = Field(default=None, max_length=8)  # "left", "right" or none
    outcome: Outcome = _state(Outcome.DONE)  # done, skipped, too_painful
    recorded_at: datetime = _utc()


class PainCheckin(SQLModel, table=True):
    """A pain rating sent outside a session."""

    __tablename__ = "pain_checkins"
    # The Telegram message it came from: a replayed update is not stored twice.
    __table_args__ = (UniqueConstraint("user_id", "message_id", name="uq_checkin_message"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    score: int
    recorded_at: datetime = _utc()


class ReminderDelivery(SQLModel, table=True):
    """One reminder for one person: claimed by the sweep, then sent or skipped, once."""

    __tablename__ = "reminder_deliveries"
    # The claim: a reminder (person, slot, local date) can be claimed only once.
    __table_args__ = (UniqueConstraint("user_id", "slot", "local_date", name="uq_reminder_once"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    slot: str = Field(max_length=8)
    local_date: str = Field(max_length=10)
    due_at: datetime = _utc()
    # When it may go out: its minute's release (coach/planning.py), up to half an hour
    # before `due_at` for a crowd; empty for rows from before migration 0007 (due_at).
    send_at: datetime | None = _utc(nullable=True)
    # pending (claimed, to send), sent, snoozed (to send again at due_at), skipped and
    # failed (see `reason`), missed (never answered, replaced by a newer one).
    status: DeliveryStatus = _state(DeliveryStatus.PENDING, index=True)
    # "", late, recent_session, by_user, blocked.
    reason: DeliveryReason = _state(DeliveryReason.NONE, 32)
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    sent_at: datetime | None = _utc(nullable=True)
    # When the person pressed one of its buttons (or started a session after it).
    answered_at: datetime | None = _utc(nullable=True)


class WebhookUpdate(SQLModel, table=True):
    """An update Telegram posted to the webhook: taken while `finished_at` is empty,
    handled once it is set. Telegram posts an update again until an instance answers 200,
    which it does only after handling: a redelivery (after a crash, or to another
    instance) is recognised here, and handled again only if the first try died. No
    personal data: the update's number and two times."""

    __tablename__ = "webhook_updates"

    update_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    taken_at: datetime = _utc()
    finished_at: datetime | None = _utc(nullable=True)


class PendingReply(SQLModel, table=True):
    """A person whose last update got no answer because Telegram kept failing: one row a
    chat, sent (and cleared) once Telegram answers again. It holds no text: what to send
    is worked out when it is sent (the session's current step, or an apology)."""

    __tablename__ = "pending_replies"

    chat_id: int = Field(sa_column=Column(BigInteger, primary_key=True, autoincrement=False))
    user_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("users.id", ondelete="CASCADE"), index=True, nullable=False
        )
    )
    since: datetime = _utc()
    # The session's live message when the reply failed: if another one has taken over
    # since (the person asked again and was answered), nothing is owed any more.
    card_message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    attempts: int = 0
    # A sender's claim, so that two instances never both send it; empty: free to take.
    claimed_until: datetime | None = _utc(nullable=True)


class SendBudget(SQLModel, table=True):
    """The bot-wide send schedule that every instance shares on PostgreSQL (one row; see
    store/budget.py): the earliest moment the next message may go to Telegram."""

    __tablename__ = "send_budget"

    id: int = Field(sa_column=Column(Integer, primary_key=True, autoincrement=False))
    next_slot: datetime = _utc()
