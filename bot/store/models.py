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
