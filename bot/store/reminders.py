"""The reminder tables: scheduling each person's next reminder, claiming the due ones,
and recording what became of each. Claims are idempotent: a reminder row is unique per
(person, slot, local date), so a second claim of the same reminder inserts nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Table, bindparam, delete, func, text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.coach.reminders import ACTIVE_SESSION, RECENT_SESSION, DueReminder
from bot.coach.states import DeliveryReason, DeliveryStatus, Onboarding, SessionStatus
from bot.store.models import ExerciseSession, ReminderDelivery, User, UTCDateTime
from bot.store.queries import Store

log = logging.getLogger(__name__)

# A claimed reminder released within this of a change is left to the sender: instances'
# clocks may differ by a little, and the sender looks for released ones by its own.
RELEASE_MARGIN = timedelta(seconds=5)


@dataclass(frozen=True)
class Claim:
    """The sweep's verdict for one due person: what to schedule next, and what to send."""

    user_id: int
    seen_due_at: datetime
    next_due: DueReminder | None
    deliver: DueReminder | None
    send_at: datetime | None = None  # when `deliver` may go out (None: at its time)


@dataclass(frozen=True)
class PendingReminder:
    delivery_id: int
    user_id: int
    chat_id: int
    slot: str
    due_at: datetime
    time_zone: str
    language: str  # picks the message catalog
    # Earlier reminders still showing their buttons; they lose them when this one is sent.
    unanswered: tuple[tuple[int, int], ...]  # (delivery id, message id)
    last_finished: datetime | None
    last_answer: datetime | None  # the newest answer in an open session


@dataclass(frozen=True)
class SentReminder:
    delivery_id: int
    message_id: int
    sent_at: datetime


@dataclass(frozen=True)
class Waiting:
    count: int
    first_release: datetime | None
    oldest_due: datetime | None


class SentBook:
    """Reminders sent and not yet written down. With `every` 0 each is written as it is
    sent; otherwise they are written together, `every` seconds after the first of them
    (ReminderStore.record_sent), so a crash may send those again after the restart."""

    def __init__(self, reminders: ReminderStore, every: float) -> None:
        self.reminders = reminders
        self.every = every
        self._sent: list[SentReminder] = []
        self._replaced: list[int] = []  # earlier reminders the sent ones replace (missed)
        self._timer: asyncio.TimerHandle | None = None
        self._writes: set[asyncio.Task[None]] = set()
        # One write at a time: a write that waits for one under way finds its rows
        # written when it returns (the sender looks for pending rows only after that).
        self._writing = asyncio.Lock()

    async def add(self, sent: SentReminder, replaced: Collection[int]) -> None:
        self._sent.append(sent)
        self._replaced += replaced
        if self.every <= 0:
            await self.write()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self.every, self._write_soon)

    def _write_soon(self) -> None:
        task = asyncio.get_running_loop().create_task(self._write_or_log())
        self._writes.add(task)
        task.add_done_callback(self._writes.discard)

    async def _write_or_log(self) -> None:
        try:
            await self.write()
        except Exception:  # (no caller to tell: the log is the only place it shows)
            log.exception("sent reminders could not be recorded: they stay pending and go again")

    async def write(self) -> None:
        async with self._writing:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
            sent, self._sent = self._sent, []
            replaced, self._replaced = self._replaced, []
            if sent or replaced:
                await self.reminders.record_sent(sent, replaced)

    async def close(self) -> None:
        """Write what is left now, before the engine goes: a timer firing later would
        find no database (and the rows would go again after the restart)."""
        await asyncio.gather(*self._writes)
        await self._write_or_log()  # (a failure is logged: the stop goes on)


# The PostgreSQL advisory lock that makes one instance at a time the reminder sender.
SENDER_LOCK = 0x676C757465  # "glute"


class ReminderStore:
    """The reminder tables (see the module's docstring)."""

    def __init__(self, store: Store) -> None:
        self.store = store

    @asynccontextmanager
    async def sender_turn(self) -> AsyncIterator[bool]:
        """True while this process is the one that sends reminders.

        Claims are safe from any number of instances, but two senders would both pick up
        the same pending rows. On PostgreSQL a session-level advisory lock, held on one
        connection for as long as the sender runs, makes one instance the sender; if it
        dies, its connection closes, the lock goes, and the next sweep elsewhere takes
        over. SQLite serves one process (see the README's deployment section): always
        this one.
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

    async def schedule(
        self, user_id: int, due: DueReminder | None, *, changed_at: datetime | None = None
    ) -> int:
        """Set the person's next reminder. With `changed_at` (the person changed their
        times or zone, or paused, then), a reminder claimed early for another time and
        not released yet is taken back in the same transaction: it would otherwise go at
        the old time, and its row (unique per person, slot and date) would keep the new
        time's claim from inserting one. A released one stays: the sender may hold it
        already (sending it while its row is gone would leave its buttons pointing at
        nothing, and let the new time's claim send a second); so does a snoozed one,
        which was sent. Returns how many were taken back."""
        async with self.store.db() as db:
            withdrawn = 0
            if changed_at is not None:
                unreleased = (
                    delete(ReminderDelivery)
                    .where(col(ReminderDelivery.user_id) == user_id)
                    .where(col(ReminderDelivery.status) == DeliveryStatus.PENDING)
                    .where(
                        func.coalesce(ReminderDelivery.send_at, ReminderDelivery.due_at)
                        > changed_at + RELEASE_MARGIN
                    )
                )
                if due is not None:  # (the same reminder, still wanted: it stays)
                    unreleased = unreleased.where(col(ReminderDelivery.due_at) != due.due_at)
                withdrawn = (await db.exec(unreleased)).rowcount or 0
            await db.exec(
                update(User)
                .where(col(User.id) == user_id)
                .values(
                    next_reminder_at=due.due_at if due else None,
                    next_reminder_slot=due.slot if due else None,
                    next_reminder_date=due.local_date if due else None,
                )
            )
            await db.commit()
            return withdrawn

    async def unscheduled(self, limit: int = 1000) -> Sequence[User]:
        """People whose reminders are on but have no next reminder (after an upgrade)."""
        async with self.store.db() as db:
            rows = await db.exec(
                select(User)
                .where(col(User.reminders_on).is_(True))
                .where(col(User.onboarding) == Onboarding.DONE)
                .where(col(User.next_reminder_at).is_(None))
                .limit(limit)
            )
            return rows.all()

    async def due_counts(self, until: datetime) -> list[tuple[datetime, int]]:
        """How many people's next reminder falls on each moment up to `until` (reminder
        times are whole minutes, so these are the minutes' batches)."""
        async with self.store.db() as db:
            rows = await db.exec(
                select(User.next_reminder_at, func.count())
                .where(col(User.next_reminder_at) <= until)
                .where(col(User.reminders_on).is_(True))
                .where(col(User.active).is_(True))
                .group_by(col(User.next_reminder_at))
            )
            counts = [(_aware(due), count) for due, count in rows.all()]
            return [(due, count) for due, count in counts if due is not None]

    async def waiting(self, exclude: Collection[int] = ()) -> Waiting:
        """Claimed reminders not yet sent (snoozed ones and `exclude` aside), when the
        first of them may go out (the sender waits for it rather than for the next
        sweep), and the oldest one's time (for the metrics)."""
        async with self.store.db() as db:
            release = func.coalesce(ReminderDelivery.send_at, ReminderDelivery.due_at)
            query = select(
                func.count(), func.min(release), func.min(ReminderDelivery.due_at)
            ).where(col(ReminderDelivery.status) == DeliveryStatus.PENDING)
            if exclude:
                query = query.where(col(ReminderDelivery.id).not_in(list(exclude)))
            count, first, oldest = (await db.exec(query)).one()
            return Waiting(int(count), _aware(first), _aware(oldest))

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
                    "send_at": claim.send_at or claim.deliver.due_at,
                    "status": DeliveryStatus.PENDING,
                    "reason": DeliveryReason.NONE,
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
                    (
                        (col(ReminderDelivery.status) == DeliveryStatus.PENDING)
                        & (func.coalesce(ReminderDelivery.send_at, ReminderDelivery.due_at) <= now)
                    )
                    | (
                        (col(ReminderDelivery.status) == DeliveryStatus.SNOOZED)
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
            answered = dict(
                (
                    await db.exec(
                        select(ExerciseSession.user_id, func.max(ExerciseSession.answered_at))
                        .where(col(ExerciseSession.user_id).in_(user_ids))
                        .where(col(ExerciseSession.status) == SessionStatus.OPEN)
                        .where(col(ExerciseSession.answered_at) >= now - ACTIVE_SESSION)
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
                    .where(col(ReminderDelivery.status) == DeliveryStatus.SENT)
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
                language=user.language,
                unanswered=tuple(
                    pair for pair in showing.get(user.id or 0, []) if pair[0] != delivery.id
                ),
                last_finished=_aware(finished.get(user.id or 0)),
                last_answer=_aware(answered.get(user.id or 0)),
            )
            for delivery, user in found
        ]

    async def finish(
        self,
        delivery_id: int,
        status: DeliveryStatus,
        *,
        reason: DeliveryReason = DeliveryReason.NONE,
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

    async def record_sent(self, sent: Sequence[SentReminder], missed: Collection[int] = ()) -> None:
        """Reminders sent, and the earlier ones they replaced (missed), in one transaction
        with one statement for all (executemany): at paid broadcast rates a commit per
        reminder held the batch to about 90 a second on SQLite."""
        if not sent and not missed:
            return
        table: Table = ReminderDelivery.__table__  # type: ignore[attr-defined]
        record = (
            update(table)
            .where(table.c.id == bindparam("sent_delivery"))
            .values(
                status=DeliveryStatus.SENT,
                reason=DeliveryReason.NONE,
                message_id=bindparam("sent_message"),
                sent_at=bindparam("sent_at_time", type_=UTCDateTime()),
                answered_at=None,
            )
        )
        async with self.store.db() as db:
            connection = await db.connection()
            if sent:
                await connection.execute(
                    record,
                    [
                        {
                            "sent_delivery": row.delivery_id,
                            "sent_message": row.message_id,
                            "sent_at_time": row.sent_at,
                        }
                        for row in sent
                    ],
                )
            if missed:
                await db.exec(
                    update(ReminderDelivery)
                    .where(col(ReminderDelivery.id).in_(list(missed)))
                    .where(col(ReminderDelivery.status) == DeliveryStatus.SENT)
                    .values(status=DeliveryStatus.MISSED)
                )
            await db.commit()

    async def delivery(self, delivery_id: int) -> ReminderDelivery | None:
        async with self.store.db() as db:
            return await db.get(ReminderDelivery, delivery_id)

    async def answer(
        self, delivery_id: int, message_id: int, now: datetime, *, status: DeliveryStatus,
        due_at: datetime | None = None, reason: DeliveryReason = DeliveryReason.NONE,
    ) -> bool:  # fmt: skip
        """Record a press on a sent reminder's button, once: False if it was answered."""
        values: dict[str, Any] = {"status": status, "answered_at": now, "reason": reason}
        if due_at is not None:
            values["due_at"] = due_at
        async with self.store.db() as db:
            result = await db.exec(
                update(ReminderDelivery)
                .where(col(ReminderDelivery.id) == delivery_id)
                .where(col(ReminderDelivery.status) == DeliveryStatus.SENT)
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
