"""Replies owed to people (`pending_replies`): kept when Telegram would not take a reply,
taken by one sender at a time, cleared when sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.store.models import PendingReply
from bot.store.queries import Store

# How long a sender holds a reply it took: longer than one send with its retries.
CLAIM_FOR = timedelta(seconds=30)


@dataclass(frozen=True)
class Owed:
    chat_id: int
    user_id: int
    attempts: int
    card_message_id: int | None


class OutboxStore:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    async def keep(
        self, chat_id: int, user_id: int, card_message_id: int | None, now: datetime
    ) -> None:
        """Note that this chat is owed a reply (once: a second failure keeps one row)."""
        try:
            async with self.engine.begin() as connection:
                await connection.execute(
                    insert(PendingReply).values(
                        chat_id=chat_id, user_id=user_id, since=now, card_message_id=card_message_id
                    )
                )
        except IntegrityError:
            pass  # owed already

    async def take(self, now: datetime, limit: int = 50) -> list[Owed]:
        """Claim the replies no sender holds, oldest first."""
        free = or_(col(PendingReply.claimed_until).is_(None), col(PendingReply.claimed_until) < now)
        async with self.engine.begin() as connection:
            rows = (
                await connection.execute(
                    select(
                        col(PendingReply.chat_id),
                        col(PendingReply.user_id),
                        col(PendingReply.attempts),
                        col(PendingReply.card_message_id),
                    )
                    .where(free)
                    .order_by(col(PendingReply.since))
                    .limit(limit)
                )
            ).all()
            taken = []
            for chat_id, user_id, attempts, card in rows:
                claimed = await connection.execute(
                    update(PendingReply)
                    .where(col(PendingReply.chat_id) == chat_id)
                    .where(free)
                    .values(claimed_until=now + CLAIM_FOR, attempts=attempts + 1)
                )
                if claimed.rowcount == 1:
                    taken.append(Owed(chat_id, user_id, attempts + 1, card))
        return taken

    async def sent(self, chat_id: int) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                delete(PendingReply).where(col(PendingReply.chat_id) == chat_id)
            )

    async def release(self, chat_id: int) -> None:
        """Sending failed again: free it for the next try."""
        async with self.engine.begin() as connection:
            await connection.execute(
                update(PendingReply)
                .where(col(PendingReply.chat_id) == chat_id)
                .values(claimed_until=None)
            )

    async def any_owed(self) -> bool:
        async with self.engine.connect() as connection:
            found = await connection.execute(select(col(PendingReply.chat_id)).limit(1))
            return found.first() is not None
