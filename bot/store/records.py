"""Reads of a person's history (progress, safety rules, export) and deleting it all."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, update
from sqlalchemy import select as core_select
from sqlmodel import SQLModel, col, select

from bot.coach.export import PainRow, ResultRow
from bot.coach.progress import SessionRecord
from bot.coach.states import SessionStatus
from bot.store.models import (
    ExerciseResult,
    ExerciseSession,
    PainCheckin,
    PendingReply,
    ReminderDelivery,
    User,
)
from bot.store.queries import Store

# Every table that holds rows about a person, children first, and the column naming them.
PERSONAL_TABLES: tuple[tuple[type[SQLModel], str], ...] = (
    (PendingReply, "user_id"),
    (ReminderDelivery, "user_id"),
    (PainCheckin, "user_id"),
    (ExerciseSession, "user_id"),
    (User, "id"),
)


class RecordStore:
    def __init__(self, store: Store, exercise_steps: int) -> None:
        self.store = store
        self.exercise_steps = exercise_steps

    async def sessions(
        self, user_id: int, since: datetime | None = None, limit: int | None = None
    ) -> list[SessionRecord]:
        """Sessions started since `since` (or the newest `limit`), oldest first, with how
        many exercise steps each had done."""
        # (Columns rather than ORM objects: this runs at every session's start and end.
        # The counts are a query of their own: as a correlated subquery, PostgreSQL's
        # planner, with a bulk-loaded table not yet analysed, chose a JIT-compiled plan
        # that took 150 ms.)
        query = core_select(
            col(ExerciseSession.id),
            col(ExerciseSession.local_date),
            col(ExerciseSession.pain_before),
            col(ExerciseSession.pain_after),
            col(ExerciseSession.status),
            col(ExerciseSession.started_at),
        ).where(col(ExerciseSession.user_id) == user_id)
        if since is not None:
            query = query.where(col(ExerciseSession.started_at) >= since)
        query = query.order_by(col(ExerciseSession.started_at).desc())
        if limit is not None:
            query = query.limit(limit)
        async with self.store.read_connection() as connection:
            sessions = list((await connection.execute(query)).all())
            done: Counter[int] = Counter()
            if sessions:
                rows = await connection.execute(
                    core_select(col(ExerciseResult.session_id), func.count())
                    .where(col(ExerciseResult.session_id).in_([s.id for s in sessions]))
                    .where(col(ExerciseResult.outcome) == "done")
                    .group_by(col(ExerciseResult.session_id))
                )
                done.update({session_id: count for session_id, count in rows.all()})
        return [
            SessionRecord(
                session_id=s.id or 0,
                local_date=date.fromisoformat(s.local_date),
                pain_before=s.pain_before,
                pain_after=s.pain_after,
                done=done[s.id or 0],
                steps=self.exercise_steps,
                finished=s.status == SessionStatus.FINISHED,
                started_at=s.started_at,
            )
            for s in reversed(sessions)
        ]

    async def results_of(self, session_ids: Sequence[int]) -> dict[int, list[ExerciseResult]]:
        if not session_ids:
            return {}
        async with self.store.reads() as db:
            rows = await db.exec(
                select(ExerciseResult)
                .where(col(ExerciseResult.session_id).in_(list(session_ids)))
                .order_by(col(ExerciseResult.step))
            )
            found: dict[int, list[ExerciseResult]] = {}
            for row in rows:
                found.setdefault(row.session_id, []).append(row)
            return found

    async def ratings_since(
        self, user_id: int, since: datetime, *, exclude_session: int | None = None
    ) -> list[int]:
        """Every pain rating since `since`: sessions' before and after, and check-ins."""
        # (Two queries, not a UNION ALL: for that, PostgreSQL's planner, with tables not
        # yet analysed, chose a parallel plan that took 5 ms instead of 0.3.)
        query = (
            core_select(col(ExerciseSession.pain_before), col(ExerciseSession.pain_after))
            .where(col(ExerciseSession.user_id) == user_id)
            .where(col(ExerciseSession.started_at) >= since)
        )
        if exclude_session is not None:
            query = query.where(col(ExerciseSession.id) != exclude_session)
        async with self.store.read_connection() as connection:
            pairs = (await connection.execute(query)).all()
        ratings = [rating for pair in pairs for rating in pair if rating is not None]
        return ratings + await self.checkins_since(user_id, since)

    async def checkins_since(self, user_id: int, since: datetime) -> list[int]:
        """The scores of the pain check-ins since `since` (the sessions' ratings come
        with `sessions`: see coach.progress.ratings_since)."""
        async with self.store.read_connection() as connection:
            rows = await connection.execute(
                core_select(col(PainCheckin.score))
                .where(col(PainCheckin.user_id) == user_id)
                .where(col(PainCheckin.recorded_at) >= since)
            )
            return list(rows.scalars())

    async def pain_after_history(self, user_id: int, limit: int) -> list[int]:
        """The pain-after ratings of the latest finished sessions, oldest first."""
        async with self.store.reads() as db:
            rows = await db.exec(
                select(ExerciseSession.pain_after)
                .where(ExerciseSession.user_id == user_id)
                .where(ExerciseSession.status == "finished")
                .where(col(ExerciseSession.pain_after).is_not(None))
                .order_by(col(ExerciseSession.finished_at).desc())
                .limit(limit)
            )
            return [p for p in reversed(rows.all()) if p is not None]

    async def too_painful_history(
        self, user_id: int, exercise_key: str, side: str | None, limit: int
    ) -> list[bool]:
        """Whether each of the latest answers for one exercise (and side) was "too
        painful", newest first."""
        async with self.store.reads() as db:
            query = (
                select(ExerciseResult.outcome)
                .join(ExerciseSession, col(ExerciseSession.id) == col(ExerciseResult.session_id))
                .where(ExerciseSession.user_id == user_id)
                .where(ExerciseResult.exercise_key == exercise_key)
                .order_by(col(ExerciseResult.recorded_at).desc(), col(ExerciseResult.id).desc())
                .limit(limit)
            )
            query = query.where(
                col(ExerciseResult.side).is_(None)
                if side is None
                else col(ExerciseResult.side) == side
            )
            return [outcome == "too_painful" for outcome in (await db.exec(query)).all()]

    async def offer_progression(self, user_id: int, now: datetime) -> bool:
        """Record that the progression was suggested; False if it had been already."""
        async with self.store.db() as db:
            result = await db.exec(
                update(User)
                .where(col(User.id) == user_id)
                .where(col(User.progression_offered_at).is_(None))
                .values(progression_offered_at=now)
            )
            await db.commit()
            return bool(result.rowcount)

    # Export

    async def everything(self, user_id: int) -> tuple[list[ResultRow], list[PainRow]]:
        async with self.store.db() as db:
            sessions = (
                await db.exec(select(ExerciseSession).where(ExerciseSession.user_id == user_id))
            ).all()
            results = (
                await db.exec(
                    select(ExerciseResult)
                    .join(
                        ExerciseSession,
                        col(ExerciseSession.id) == col(ExerciseResult.session_id),
                    )
                    .where(ExerciseSession.user_id == user_id)
                )
            ).all()
            checkins = (
                await db.exec(select(PainCheckin).where(PainCheckin.user_id == user_id))
            ).all()
        pains: list[PainRow] = []
        for s in sessions:
            if s.pain_before is not None:
                pains.append(PainRow("before", s.pain_before, s.started_at, s.id))
            if s.pain_after is not None:
                pains.append(PainRow("after", s.pain_after, s.finished_at or s.started_at, s.id))
        pains.extend(PainRow("check-in", c.score, c.recorded_at) for c in checkins)
        return (
            [
                ResultRow(r.session_id, r.exercise_key, r.side, r.outcome, r.recorded_at)
                for r in results
            ],
            pains,
        )

    # Deleting

    async def delete_person(self, user_id: int) -> tuple[dict[str, int], list[int]]:
        """Delete every row about one person in one transaction; returns rows per table
        and the ids of the sessions deleted (for `remaining` to check their results).

        Explicit deletes, children first, rather than trusting ON DELETE CASCADE: SQLite
        enforces it only with the foreign_keys pragma, and a missed table would be a
        privacy bug, so every table is named here and `remaining` checks them all.
        """
        counts: dict[str, int] = {}
        async with self.store.db() as db:
            session_ids = [
                session_id
                for session_id in (
                    await db.exec(
                        select(ExerciseSession.id).where(ExerciseSession.user_id == user_id)
                    )
                ).all()
                if session_id is not None
            ]
            removed = await db.exec(
                delete(ExerciseResult).where(col(ExerciseResult.session_id).in_(session_ids))
            )
            counts[ExerciseResult.__tablename__] = removed.rowcount
            for table, column in PERSONAL_TABLES:
                removed = await db.exec(delete(table).where(getattr(table, column) == user_id))
                counts[str(getattr(table, "__tablename__", table.__name__))] = removed.rowcount
            await db.commit()
        return counts, session_ids

    async def remaining(
        self, user_id: int, telegram_user_id: int, session_ids: Sequence[int]
    ) -> int:
        """Rows left about a person in any table (zero after `delete_person`)."""
        async with self.store.db() as db:
            total = 0
            for table, column in PERSONAL_TABLES:
                found = await db.exec(
                    select(func.count()).select_from(table).where(getattr(table, column) == user_id)
                )
                total += found.one()
            # Only this person's former sessions: a whole-table scan for orphans would
            # cost a full pass over every result on each /delete.
            results = await db.exec(
                select(func.count())
                .select_from(ExerciseResult)
                .where(col(ExerciseResult.session_id).in_(list(session_ids)))
            )
            total += results.one()
            by_telegram_id = await db.exec(
                select(func.count())
                .select_from(User)
                .where(col(User.telegram_user_id) == telegram_user_id)
            )
            return total + by_telegram_id.one()
