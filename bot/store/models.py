"""The tables. Every time is stored in UTC and read back time-zone aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Column, DateTime, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel


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


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    telegram_user_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    first_name: str = Field(default="", max_length=256)
    time_zone: str = Field(max_length=64)
    # Local times of day, "HH:MM", in `time_zone`; the reminders issue sends them.
    morning_reminder: str = Field(max_length=5)
    evening_reminder: str = Field(max_length=5)
    # Where set-up stands: "red_flags", "time_zone", "reminders", "done".
    onboarding: str = Field(default="red_flags", max_length=16)
    # What the next typed text answers outside a session: "time_zone", "reminder_times" or "".
    awaiting_text: str = Field(default="", max_length=16)
    # The last answer to the red-flag question: "", "none" or "reported".
    red_flags: str = Field(default="", max_length=16)
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
    # "open", "left" (after /cancel), "finished", "abandoned" (not finished that day).
    status: str = Field(default="open", max_length=16, index=True)
    step: int = 0
    paused_for_pain: bool = False
    pain_before: int | None = None
    pain_after: int | None = None
    started_at: datetime = _utc()
    finished_at: datetime | None = _utc(nullable=True)
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
    outcome: str = Field(max_length=16)  # "done", "skipped", "too_painful"
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
    # "pending" (claimed, to send), "sent", "snoozed" (to send again at due_at),
    # "skipped" (see `reason`), "failed" (see `reason`).
    status: str = Field(default="pending", max_length=16, index=True)
    reason: str = Field(default="", max_length=32)
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    sent_at: datetime | None = _utc(nullable=True)
    # When the person pressed one of its buttons (or started a session after it).
    answered_at: datetime | None = _utc(nullable=True)
