"""Every read and write the bot makes, each in its own short transaction.

Session progress is written with a compare-and-set on (step, paused_for_pain): an answer
is applied only if the session is still where the person saw it, so a doubled press, an
old button or a replayed update after a crash can never record twice or skip ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.coach.session import Advance, Outcome, SessionState, Step
from bot.store.models import ExerciseResult, ExerciseSession, PainCheckin, User

# A session that has not ended: in progress, or left with /cancel to resume later.
UNFINISHED = ("open", "left")


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)

    def db(self) -> AsyncSession:
        return self._sessions()

    # Users

    async def user(self, telegram_user_id: int) -> User | None:
        async with self.db() as db:
            result = await db.exec(select(User).where(User.telegram_user_id == telegram_user_id))
            return result.first()

    async def add_user(self, user: User) -> User:
        """Insert a new user; if another update inserted the same user first, return that one."""
        async with self.db() as db:
            db.add(user)
            try:
                await db.commit()
            except IntegrityError:
                await db.rollback()
                existing = await db.exec(
                    select(User).where(User.telegram_user_id == user.telegram_user_id)
                )
                return existing.one()
            await db.refresh(user)
            return user

    async def update_user(self, user_id: int, **values: Any) -> None:
        async with self.db() as db:
            await db.exec(update(User).where(col(User.id) == user_id).values(**values))
            await db.commit()

    async def chat_of(self, user_id: int) -> int | None:
        async with self.db() as db:
            user = await db.get(User, user_id)
            return user.chat_id if user else None

    # Sessions

    async def unfinished_session(self, user_id: int) -> ExerciseSession | None:
        async with self.db() as db:
            result = await db.exec(
                select(ExerciseSession)
                .where(ExerciseSession.user_id == user_id)
                .where(col(ExerciseSession.status).in_(UNFINISHED))
                .order_by(col(ExerciseSession.id).desc())
            )
            return result.first()

    async def session(self, session_id: int) -> ExerciseSession | None:
        async with self.db() as db:
            return await db.get(ExerciseSession, session_id)

    async def start_session(self, user_id: int, local_date: str, now: datetime) -> ExerciseSession:
        """A new session; any unfinished one from an earlier day is marked abandoned."""
        async with self.db() as db:
            await db.exec(
                update(ExerciseSession)
                .where(col(ExerciseSession.user_id) == user_id)
                .where(col(ExerciseSession.status).in_(UNFINISHED))
                .values(status="abandoned")
            )
            session = ExerciseSession(user_id=user_id, local_date=local_date, started_at=now)
            db.add(session)
            await db.commit()
            await db.refresh(session)
            return session

    async def set_session_status(self, session_id: int, status: str, *, was: str) -> bool:
        async with self.db() as db:
            result = await db.exec(
                update(ExerciseSession)
                .where(col(ExerciseSession.id) == session_id)
                .where(col(ExerciseSession.status) == was)
                .values(status=status)
            )
            await db.commit()
            return bool(result.rowcount)

    async def apply(
        self,
        session_id: int,
        seen: SessionState,
        change: Advance,
        step: Step,
        now: datetime,
    ) -> bool:
        """Write an accepted answer if the session is still at `seen`; False if it moved on."""
        values: dict[str, Any] = {
            "step": change.state.step,
            "paused_for_pain": change.state.paused_for_pain,
            "timer_step": None,
            "timer_ends_at": None,
        }
        if change.pain_before is not None:
            values["pain_before"] = change.pain_before
        if change.pain_after is not None:
            values["pain_after"] = change.pain_after
        if change.finished:
            values["status"] = "finished"
            values["finished_at"] = now
        async with self.db() as db:
            moved = await db.exec(
                update(ExerciseSession)
                .where(col(ExerciseSession.id) == session_id)
                .where(col(ExerciseSession.status) == "open")
                .where(col(ExerciseSession.step) == seen.step)
                .where(col(ExerciseSession.paused_for_pain) == seen.paused_for_pain)
                .values(**values)
            )
            if moved.rowcount != 1:
                await db.rollback()
                return False
            if change.result is not None and step.exercise is not None:
                index, outcome = change.result
                db.add(
                    ExerciseResult(
                        session_id=session_id,
                        step=index,
                        exercise_key=step.exercise.key,
                        side=step.side,
                        outcome=outcome.value,
                        recorded_at=now,
                    )
                )
            await db.commit()
            return True

    async def outcomes(self, session_id: int) -> dict[int, Outcome]:
        async with self.db() as db:
            rows = await db.exec(
                select(ExerciseResult).where(ExerciseResult.session_id == session_id)
            )
            return {row.step: Outcome(row.outcome) for row in rows}

    async def results(self, session_id: int) -> Sequence[ExerciseResult]:
        async with self.db() as db:
            rows = await db.exec(
                select(ExerciseResult)
                .where(ExerciseResult.session_id == session_id)
                .order_by(col(ExerciseResult.step))
            )
            return rows.all()

    # Hold timers

    async def start_timer(self, session_id: int, step: int, ends_at: datetime) -> bool:
        """Start a timer for `step` unless the session moved on or one runs for it already."""
        async with self.db() as db:
            result = await db.exec(
                update(ExerciseSession)
                .where(col(ExerciseSession.id) == session_id)
                .where(col(ExerciseSession.status) == "open")
                .where(col(ExerciseSession.step) == step)
                .where(col(ExerciseSession.paused_for_pain).is_(False))
                .where(col(ExerciseSession.timer_ends_at).is_(None))
                .values(timer_step=step, timer_ends_at=ends_at)
            )
            await db.commit()
            return bool(result.rowcount)

    async def finish_timer(self, session_id: int, step: int) -> bool:
        """Clear a timer that has run out; False if it was already cleared or moved on."""
        async with self.db() as db:
            result = await db.exec(
                update(ExerciseSession)
                .where(col(ExerciseSession.id) == session_id)
                .where(col(ExerciseSession.timer_step) == step)
                .values(timer_step=None, timer_ends_at=None)
            )
            await db.commit()
            return bool(result.rowcount)

    async def running_timers(self) -> Sequence[ExerciseSession]:
        async with self.db() as db:
            rows = await db.exec(
                select(ExerciseSession)
                .where(col(ExerciseSession.timer_ends_at).is_not(None))
                .where(ExerciseSession.status == "open")
            )
            return rows.all()

    # Pain check-ins

    async def add_checkin(self, user_id: int, message_id: int, score: int, now: datetime) -> bool:
        """Record a check-in; False if this message was recorded already (a replayed update)."""
        async with self.db() as db:
            db.add(
                PainCheckin(user_id=user_id, message_id=message_id, score=score, recorded_at=now)
            )
            try:
                await db.commit()
            except IntegrityError:
                await db.rollback()
                return False
            return True
