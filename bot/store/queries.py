"""Every read and write the bot makes, each in its own short transaction.

Session progress is written with a compare-and-set on (step, paused_for_pain): an answer
is applied only if the session is still where the person saw it, so a doubled press, an
old button or a replayed update after a crash can never record twice or skip ahead.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, and_, bindparam, func, insert, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.coach.reminders import ACTIVE_SESSION, RECENT_SESSION, DueReminder
from bot.coach.session import Advance, Outcome, SessionState, Step
from bot.store.models import (
    ExerciseResult,
    ExerciseSession,
    PainCheckin,
    ReminderDelivery,
    User,
    UTCDateTime,
)

# A session that has not ended: in progress, or left with /cancel to resume later.
UNFINISHED = ("open", "left")


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

    async def user_by_id(self, user_id: int) -> User | None:
        async with self.db() as db:
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

    async def user_seen(
        self, telegram_user_id: int
    ) -> tuple[User | None, ExerciseSession | None, bool]:
        """The person's row and their newest unfinished session, read in one query because
        they just wrote or tapped; if they had been marked unreachable, they are reachable
        again (the bool says whether that changed)."""
        async with self.db() as db:
            result = await db.exec(_USER_SEEN, params={"telegram_user_id": telegram_user_id})
            row = result.first()
            if row is None:
                return None, None, False
            user, session = row
            if user.active:
                return user, session, False
            await db.exec(update(User).where(col(User.id) == user.id).values(active=True))
            await db.commit()
            user.active = True
            return user, session, True

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
        # Core statements on one connection, no ORM session: this runs on every tap, and
        # the ORM's unit of work costs more here than the two statements themselves.
        async with self.engine.begin() as connection:
            moved = await connection.execute(
                update(ExerciseSession)
                .where(col(ExerciseSession.id) == session_id)
                .where(col(ExerciseSession.status) == "open")
                .where(col(ExerciseSession.step) == seen.step)
                .where(col(ExerciseSession.paused_for_pain) == seen.paused_for_pain)
                .values(**values)
            )
            if moved.rowcount != 1:
                return False  # (nothing was written)
            if change.result is not None and step.exercise is not None:
                index, outcome = change.result
                await connection.execute(
                    insert(ExerciseResult).values(
                        session_id=session_id,
                        step=index,
                        exercise_key=step.exercise.key,
                        side=step.side,
                        outcome=outcome.value,
                        recorded_at=now,
                    )
                )
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


@dataclass(frozen=True)
class Claim:
    """The sweep's verdict for one due person: what to schedule next, and what to send."""

    user_id: int
    seen_due_at: datetime
    next_due: DueReminder | None
    deliver: DueReminder | None


@dataclass(frozen=True)
class PendingReminder:
    delivery_id: int
    user_id: int
    chat_id: int
    slot: str
    due_at: datetime
    time_zone: str
    # Earlier reminders still showing their buttons; they lose them when this one is sent.
    unanswered: tuple[tuple[int, int], ...]  # (delivery id, message id)
    last_finished: datetime | None
    active_started: datetime | None


# The PostgreSQL advisory lock that makes one instance at a time the reminder sender.
SENDER_LOCK = 0x676C757465  # "glute"


class ReminderStore:
    """The reminder tables. Claims are idempotent: a reminder row is unique per
    (person, slot, local date), so a second claim of the same reminder inserts nothing."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @asynccontextmanager
    async def sender_turn(self) -> AsyncIterator[bool]:
        """True while this process is the one that sends reminders.

        Claims are safe from any number of instances, but two senders would both pick up
        the same pending rows. On PostgreSQL a session-level advisory lock, held on one
        connection for as long as the sender runs, makes one instance the sender; if it
        dies, its connection closes, the lock goes, and the next sweep elsewhere takes
        over. SQLite is one process by design (DESIGN.md, point 5): always this one.
        """
        if self.store.engine.dialect.name != "postgresql":
            yield True
            return
        async with self.store.engine.connect() as connection:
            locked = await connection.scalar(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": SENDER_LOCK}
            )
            await connection.commit()
            try:
                yield bool(locked)
            finally:
                if locked:
                    await connection.execute(
                        text("SELECT pg_advisory_unlock(:key)"), {"key": SENDER_LOCK}
                    )
                    await connection.commit()

    async def schedule(self, user_id: int, due: DueReminder | None) -> None:
        await self.store.update_user(
            user_id,
            next_reminder_at=due.due_at if due else None,
            next_reminder_slot=due.slot if due else None,
            next_reminder_date=due.local_date if due else None,
        )

    async def unscheduled(self, limit: int = 1000) -> Sequence[User]:
        """People whose reminders are on but have no next reminder (after an upgrade)."""
        async with self.store.db() as db:
            rows = await db.exec(
                select(User)
                .where(col(User.reminders_on).is_(True))
                .where(col(User.onboarding) == "done")
                .where(col(User.next_reminder_at).is_(None))
                .limit(limit)
            )
            return rows.all()

    async def due_users(self, now: datetime, limit: int) -> Sequence[User]:
        async with self.store.db() as db:
            rows = await db.exec(
                select(User)
                .where(col(User.next_reminder_at) <= now)
                .where(col(User.reminders_on).is_(True))
                .where(col(User.active).is_(True))
                .order_by(col(User.next_reminder_at))
                .limit(limit)
            )
            return rows.all()

    async def claim(self, claims: Sequence[Claim]) -> int:
        """Advance each person's schedule and insert their pending reminders, in one
        transaction. Returns how many reminders were newly claimed."""
        if not claims:
            return 0
        table: Table = User.__table__  # type: ignore[attr-defined]
        users = table.c
        # One statement executed for all claims (executemany): a statement per person
        # held SQLite's write lock for a second per thousand people, and every reply to
        # someone in a session waited behind it.
        advance = (
            update(table)
            .where(users.id == bindparam("claim_user"))
            .where(users.next_reminder_at == bindparam("claim_seen", type_=UTCDateTime()))
            .values(
                next_reminder_at=bindparam("claim_next_at", type_=UTCDateTime()),
                next_reminder_slot=bindparam("claim_next_slot"),
                next_reminder_date=bindparam("claim_next_date"),
            )
        )
        async with self.store.db() as db:
            connection = await db.connection()
            await connection.execute(
                advance,
                [
                    {
                        "claim_user": claim.user_id,
                        "claim_seen": claim.seen_due_at,
                        "claim_next_at": claim.next_due.due_at if claim.next_due else None,
                        "claim_next_slot": claim.next_due.slot if claim.next_due else None,
                        "claim_next_date": claim.next_due.local_date if claim.next_due else None,
                    }
                    for claim in claims
                ],
            )
            rows = [
                {
                    "user_id": claim.user_id,
                    "slot": claim.deliver.slot,
                    "local_date": claim.deliver.local_date,
                    "due_at": claim.deliver.due_at,
                    "status": "pending",
                    "reason": "",
                }
                for claim in claims
                if claim.deliver is not None
            ]
            inserted = 0
            if rows:
                result = await db.exec(_insert_ignoring_duplicates(db, rows))
                inserted = max(result.rowcount, 0)
            await db.commit()
            return inserted

    async def pending(
        self, now: datetime, limit: int, exclude: Collection[int] = ()
    ) -> list[PendingReminder]:
        """Claimed reminders to send now: new ones, and snoozed ones whose hour is up."""
        async with self.store.db() as db:
            query = (
                select(ReminderDelivery, User)
                .join(User, col(User.id) == col(ReminderDelivery.user_id))
                .where(
                    (col(ReminderDelivery.status) == "pending")
                    | (
                        (col(ReminderDelivery.status) == "snoozed")
                        & (col(ReminderDelivery.due_at) <= now)
                    )
                )
                .order_by(col(ReminderDelivery.due_at), col(ReminderDelivery.id))
                .limit(limit)
            )
            if exclude:
                query = query.where(col(ReminderDelivery.id).not_in(list(exclude)))
            found = (await db.exec(query)).all()
            if not found:
                return []
            user_ids = list({user.id for _, user in found})
            finished = dict(
                (
                    await db.exec(
                        select(ExerciseSession.user_id, func.max(ExerciseSession.finished_at))
                        .where(col(ExerciseSession.user_id).in_(user_ids))
                        .where(col(ExerciseSession.finished_at) >= now - RECENT_SESSION)
                        .group_by(col(ExerciseSession.user_id))
                    )
                ).all()
            )
            started = dict(
                (
                    await db.exec(
                        select(ExerciseSession.user_id, func.max(ExerciseSession.started_at))
                        .where(col(ExerciseSession.user_id).in_(user_ids))
                        .where(col(ExerciseSession.status) == "open")
                        .where(col(ExerciseSession.started_at) >= now - ACTIVE_SESSION)
                        .group_by(col(ExerciseSession.user_id))
                    )
                ).all()
            )
            showing: dict[int, list[tuple[int, int]]] = {}
            for delivery_id, user_id, message_id in (
                await db.exec(
                    select(
                        ReminderDelivery.id, ReminderDelivery.user_id, ReminderDelivery.message_id
                    )
                    .where(col(ReminderDelivery.user_id).in_(user_ids))
                    .where(col(ReminderDelivery.status) == "sent")
                    .where(col(ReminderDelivery.answered_at).is_(None))
                    .where(col(ReminderDelivery.message_id).is_not(None))
                )
            ).all():
                if delivery_id is not None and message_id is not None:
                    showing.setdefault(user_id, []).append((delivery_id, message_id))
        return [
            PendingReminder(
                delivery_id=delivery.id or 0,
                user_id=user.id or 0,
                chat_id=user.chat_id,
                slot=delivery.slot,
                due_at=delivery.due_at,
                time_zone=user.time_zone,
                unanswered=tuple(
                    pair for pair in showing.get(user.id or 0, []) if pair[0] != delivery.id
                ),
                last_finished=_aware(finished.get(user.id or 0)),
                active_started=_aware(started.get(user.id or 0)),
            )
            for delivery, user in found
        ]

    async def finish(
        self,
        delivery_id: int,
        status: str,
        *,
        reason: str = "",
        message_id: int | None = None,
        sent_at: datetime | None = None,
    ) -> None:
        async with self.store.db() as db:
            await db.exec(
                update(ReminderDelivery)
                .where(col(ReminderDelivery.id) == delivery_id)
                .values(
                    status=status,
                    reason=reason,
                    message_id=message_id,
                    sent_at=sent_at,
                    answered_at=None,
                )
            )
            await db.commit()

    async def mark_missed(self, delivery_ids: Collection[int]) -> None:
        """Earlier reminders nobody answered, now replaced by a newer one."""
        if not delivery_ids:
            return
        async with self.store.db() as db:
            await db.exec(
                update(ReminderDelivery)
                .where(col(ReminderDelivery.id).in_(list(delivery_ids)))
                .where(col(ReminderDelivery.status) == "sent")
                .values(status="missed")
            )
            await db.commit()

    async def delivery(self, delivery_id: int) -> ReminderDelivery | None:
        async with self.store.db() as db:
            return await db.get(ReminderDelivery, delivery_id)

    async def answer(
        self, delivery_id: int, message_id: int, now: datetime, *, status: str,
        due_at: datetime | None = None, reason: str = "",
    ) -> bool:  # fmt: skip
        """Record a press on a sent reminder's button, once: False if it was answered."""
        values: dict[str, Any] = {"status": status, "answered_at": now, "reason": reason}
        if due_at is not None:
            values["due_at"] = due_at
        async with self.store.db() as db:
            result = await db.exec(
                update(ReminderDelivery)
                .where(col(ReminderDelivery.id) == delivery_id)
                .where(col(ReminderDelivery.status) == "sent")
                .where(col(ReminderDelivery.message_id) == message_id)
                .where(col(ReminderDelivery.answered_at).is_(None))
                .values(**values)
            )
            await db.commit()
            return bool(result.rowcount)

    async def set_active(self, user_id: int, active: bool) -> bool:
        """Returns True if this changed anything (so it is logged once)."""
        async with self.store.db() as db:
            result = await db.exec(
                update(User)
                .where(col(User.id) == user_id)
                .where(col(User.active).is_(not active))
                .values(active=active)
            )
            await db.commit()
            return bool(result.rowcount)


def _insert_ignoring_duplicates(db: AsyncSession, rows: list[dict[str, Any]]) -> Any:
    dialect = db.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(ReminderDelivery).values(rows).on_conflict_do_nothing()
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(ReminderDelivery).values(rows).on_conflict_do_nothing()


def _aware(value: datetime | None) -> datetime | None:
    """Aggregates (max) bypass the column type; SQLite returns them naive or as text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
