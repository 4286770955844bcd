"""The reads and writes of a person and their sessions, each in its own short transaction.

(Reminders are in `bot.store.reminders`, a person's history and its deletion in
`bot.store.records`.)

Session progress is written with a compare-and-set on (step, paused_for_pain): an answer
is applied only if the session is still where the person saw it, so a doubled press, an
old button or a replayed update after a crash can never record twice or skip ahead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.coach.session import Advance, Outcome, SessionState
from bot.coach.states import (
    UNFINISHED,
    AwaitingText,
    Onboarding,
    RedFlagAnswer,
    SessionStatus,
)
from bot.store.hot_pg import HotStatements
from bot.store.models import ExerciseResult, ExerciseSession, PainCheckin, User


@dataclass(frozen=True)
class UserChanges:
    """Columns of a person's row to change; None leaves a column as it is. (A typed
    value rather than keyword arguments, so that a wrong column is a mypy error.)"""

    onboarding: Onboarding | None = None
    awaiting_text: AwaitingText | None = None
    red_flags: RedFlagAnswer | None = None
    red_flags_answered_at: datetime | None = None
    time_zone: str | None = None
    morning_reminder: str | None = None
    evening_reminder: str | None = None
    reminders_on: bool | None = None
    active: bool | None = None
    language: str | None = None

    def values(self) -> dict[str, Any]:
        return {name: value for name, value in asdict(self).items() if value is not None}


@dataclass(frozen=True)
class Seen:
    """What `Store.user_seen` found: the person (None before /start), their newest
    unfinished session, and whether they had been unreachable until now."""

    person: User | None
    unfinished: ExerciseSession | None
    reactivated: bool = False


# Built once: every message and tap reads the person this way, and building the
# statement cost a third of the call.
_USER_SEEN = (
    select(User, ExerciseSession)
    .outerjoin(
        ExerciseSession,
        and_(
            col(ExerciseSession.user_id) == col(User.id),
            col(ExerciseSession.status).in_(UNFINISHED),
        ),
    )
    .where(col(User.telegram_user_id) == bindparam("telegram_user_id"))
    .order_by(col(ExerciseSession.id).desc())
    .limit(1)
)


# `Store.apply`'s statements, built once for the same reason (a tap builds none). Values
# left None keep the column as it is (COALESCE): a pain rating, the end of a session.
_SESSIONS = ExerciseSession.__table__  # type: ignore[attr-defined]
_RESULTS = ExerciseResult.__table__  # type: ignore[attr-defined]


def _kept_unless(name: str) -> Any:
    return func.coalesce(bindparam(name, type_=_SESSIONS.c[name].type), _SESSIONS.c[name])


_MOVE = (
    update(_SESSIONS)
    .where(_SESSIONS.c.id == bindparam("session_id"))
    .where(_SESSIONS.c.status == SessionStatus.OPEN)
    .where(_SESSIONS.c.step == bindparam("seen_step"))
    .where(_SESSIONS.c.paused_for_pain == bindparam("seen_paused"))
    .values(
        step=bindparam("step"),
        paused_for_pain=bindparam("paused"),
        timer_step=None,
        timer_ends_at=None,
        answered_at=bindparam("now", type_=_SESSIONS.c.answered_at.type),
        pain_before=_kept_unless("pain_before"),
        pain_after=_kept_unless("pain_after"),
        status=_kept_unless("status"),
        finished_at=_kept_unless("finished_at"),
    )
)
_RESULT_VALUES = {
    "step": bindparam("result_step", type_=_RESULTS.c.step.type),
    "exercise_key": bindparam("exercise_key", type_=_RESULTS.c.exercise_key.type),
    "side": bindparam("side", type_=_RESULTS.c.side.type),
    "outcome": bindparam("outcome", type_=_RESULTS.c.outcome.type),
    "recorded_at": bindparam("now", type_=_RESULTS.c.recorded_at.type),
}
_RECORD = insert(_RESULTS).values(session_id=bindparam("session_id"), **_RESULT_VALUES)
# `Store.start_session`'s statements, built once. PostgreSQL: the abandoning update as a
# data-modifying CTE of the insert (carried out whether or not the insert reads it).
_ABANDON_UNFINISHED = (
    update(_SESSIONS)
    .where(_SESSIONS.c.user_id == bindparam("person"))
    .where(_SESSIONS.c.status.in_(UNFINISHED))
    .values(status=SessionStatus.ABANDONED)
)
_START = (
    insert(_SESSIONS)
    .values(
        user_id=bindparam("person"),
        local_date=bindparam("day"),
        started_at=bindparam("now", type_=_SESSIONS.c.started_at.type),
        # (Given here: with a CTE, SQLAlchemy leaves the columns' own defaults out.)
        status=SessionStatus.OPEN,
        step=0,
        paused_for_pain=False,
    )
    .returning(_SESSIONS.c.id)
)
_START_IN_ONE = _START.add_cte(_ABANDON_UNFINISHED.returning(_SESSIONS.c.id).cte("abandoned"))


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
        # The read at every update and the write of a tap's answer, on PostgreSQL without
        # a transaction around them: BEGIN, ROLLBACK and COMMIT were four of a tap's seven
        # round trips to the server. (SQLite starts no transaction for a read anyway, and
        # its statements cost no round trip: see bot.store.inline_sqlite.)
        self._untransacted = engine
        if engine.dialect.name == "postgresql":
            self._untransacted = engine.execution_options(isolation_level="AUTOCOMMIT")
        self._reads = async_sessionmaker(
            self._untransacted, class_=AsyncSession, expire_on_commit=False
        )
        # On PostgreSQL the read of the person and the write of an answer skip SQLAlchemy
        # and its engine (bot.store.hot_pg: about 0.15 ms of CPU a statement instead of
        # 0.5-0.9); None on SQLite.
        self.hot = HotStatements(engine) if engine.dialect.driver == "asyncpg" else None

    async def open(self) -> None:
        """Open what the store needs besides the engine now rather than at first use."""
        if self.hot is not None:
            await self.hot.open()

    async def close(self) -> None:
        """Close what the store opened besides the engine (dispose of that separately)."""
        if self.hot is not None:
            await self.hot.close()

    def db(self) -> AsyncSession:
        return self._sessions()

    def reads(self) -> AsyncSession:
        """A session for reads only: on PostgreSQL each statement on its own, without
        BEGIN and ROLLBACK around them (two round trips to the server each time)."""
        return self._reads()

    def read_connection(self) -> AsyncConnection:
        """A bare connection for reads only (no transaction on PostgreSQL, as `reads`)
        with Core statements: for the reads a session's start waits for, where an ORM
        session's own work cost a third more CPU than the statement (0.6 against 0.4 ms a
        read, measured on PostgreSQL)."""
        return self._untransacted.connect()

    # Users

    async def user(self, telegram_user_id: int) -> User | None:
        async with self.reads() as db:
            result = await db.exec(select(User).where(User.telegram_user_id == telegram_user_id))
            return result.first()

    async def user_by_id(self, user_id: int) -> User | None:
        async with self.reads() as db:
            return await db.get(User, user_id)

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

    async def user_seen(self, telegram_user_id: int, language: str) -> Seen:
        """The person's row and their newest unfinished session, read in one query because
        they just wrote or tapped. If they had been marked unreachable, they are reachable
        again; if Telegram reports another language than before, it is kept (both are a
        write only when something changed, a statement of its own)."""
        found = await self._person_and_session(telegram_user_id)
        if found is None:
            return Seen(None, None)
        user, session = found
        language = language[:16]
        if user.active and (user.language == language or not language):
            return Seen(user, session)
        reactivated = not user.active
        assert user.id is not None
        await self.update_user(user.id, UserChanges(active=True, language=language or None))
        user.active, user.language = True, language or user.language
        return Seen(user, session, reactivated)

    async def _person_and_session(
        self, telegram_user_id: int
    ) -> tuple[User, ExerciseSession | None] | None:
        if self.hot is not None:
            return await self.hot.person(telegram_user_id)
        async with self._reads() as db:
            result = await db.exec(_USER_SEEN, params={"telegram_user_id": telegram_user_id})
            row = result.first()
            return None if row is None else (row[0], row[1])

    async def update_user(self, user_id: int, changes: UserChanges) -> None:
        async with self.db() as db:
            await db.exec(update(User).where(col(User.id) == user_id).values(**changes.values()))
            await db.commit()

    async def chat_of(self, user_id: int) -> int | None:
        async with self.reads() as db:
            user = await db.get(User, user_id)
            return user.chat_id if user else None

    # Sessions

    async def unfinished_session(self, user_id: int) -> ExerciseSession | None:
        async with self.reads() as db:
            result = await db.exec(
                select(ExerciseSession)
                .where(ExerciseSession.user_id == user_id)
                .where(col(ExerciseSession.status).in_(UNFINISHED))
                .order_by(col(ExerciseSession.id).desc())
            )
            return result.first()

    async def session(self, session_id: int) -> ExerciseSession | None:
        async with self.reads() as db:
            return await db.get(ExerciseSession, session_id)

    async def start_session(self, user_id: int, local_date: str, now: datetime) -> ExerciseSession:
        """A new session; any unfinished one from an earlier day is marked abandoned."""
        params = {"person": user_id, "day": local_date, "now": now}
        if self.engine.dialect.name == "postgresql":
            # One statement outside a transaction, atomic on its own (as `apply`): the
            # session's first step waits for it, and BEGIN, UPDATE, INSERT, COMMIT were
            # four round trips to the server.
            async with self._untransacted.connect() as connection:
                session_id = await connection.scalar(_START_IN_ONE, params)
        else:
            async with self.engine.begin() as connection:
                await connection.execute(_ABANDON_UNFINISHED, params)
                session_id = await connection.scalar(_START, params)
        # (Every other column has its default, as the insert gave it.)
        return ExerciseSession(
            id=session_id, user_id=user_id, local_date=local_date, started_at=now
        )

    async def set_session_status(
        self, session_id: int, status: SessionStatus, *, was: SessionStatus
    ) -> bool:
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
        self, session_id: int, seen: SessionState, change: Advance, now: datetime
    ) -> bool:
        """Write an accepted answer if the session is still at `seen`; False if it moved on."""
        step = change.answered
        record = change.result is not None and step is not None and step.exercise is not None
        index, outcome = change.result if change.result is not None else (0, Outcome.DONE)
        params: dict[str, Any] = {
            "session_id": session_id,
            "seen_step": seen.step,
            "seen_paused": seen.paused_for_pain,
            "step": change.state.step,
            "paused": change.state.paused_for_pain,
            "now": now,
            "pain_before": change.pain_before,
            "pain_after": change.pain_after,
            "status": SessionStatus.FINISHED if change.finished else None,
            "finished_at": now if change.finished else None,
            "record": record,
            "result_step": index,
            "exercise_key": step.exercise.key if record and step and step.exercise else "",
            "side": step.side if record and step else None,
            "outcome": outcome,
        }
        if self.hot is not None:
            # One statement outside a transaction: atomic on its own, so the same
            # all-or-nothing write as BEGIN, UPDATE, INSERT, COMMIT, in one round trip to
            # the server instead of four; a tap's answer waits for those round trips.
            return await self.hot.apply(params)
        # Core statements on one connection, no ORM session: this runs on every tap, and
        # the ORM's unit of work costs more here than the two statements themselves.
        async with self.engine.begin() as connection:
            moved = await connection.execute(_MOVE, params)
            if moved.rowcount != 1:
                return False  # (nothing was written)
            if record:
                await connection.execute(_RECORD, params)
            return True

    async def outcomes(self, session_id: int) -> dict[int, Outcome]:
        async with self.reads() as db:
            rows = await db.exec(
                select(ExerciseResult).where(ExerciseResult.session_id == session_id)
            )
            return {row.step: Outcome(row.outcome) for row in rows}

    async def results(self, session_id: int) -> Sequence[ExerciseResult]:
        async with self.reads() as db:
            rows = await db.exec(
                select(ExerciseResult)
                .where(ExerciseResult.session_id == session_id)
                .order_by(col(ExerciseResult.step))
            )
            return rows.all()

    async def set_card(self, session_id: int, message_id: int) -> int | None:
        """Make `message_id` the session's live message; returns the one it replaces."""
        async with self.engine.begin() as connection:
            old = await connection.scalar(
                select(ExerciseSession.card_message_id).where(col(ExerciseSession.id) == session_id)
            )
            await connection.execute(
                update(ExerciseSession)
                .where(col(ExerciseSession.id) == session_id)
                .values(card_message_id=message_id)
            )
            return int(old) if old is not None and old != message_id else None

    # Hold timers

    async def start_timer(self, session_id: int, step: int, ends_at: datetime) -> bool:
        """Start a timer for `step` unless the session moved on or one runs for it already."""
        async with self.db() as db:
            result = await db.exec(
                update(ExerciseSession)
                .where(col(ExerciseSession.id) == session_id)
                .where(col(ExerciseSession.status) == SessionStatus.OPEN)
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
        async with self.reads() as db:
            rows = await db.exec(
                select(ExerciseSession)
                .where(col(ExerciseSession.timer_ends_at).is_not(None))
                .where(ExerciseSession.status == SessionStatus.OPEN)
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
