"""Which webhook updates have been taken and handled, shared by every instance.

Telegram delivers an update to the webhook until it gets a 200; the webhook answers only
once the update is handled and its writes committed. So an update in hand when an
instance dies is posted again, and one that was handled but whose 200 was lost is posted
again too. `take` tells them apart: a finished update is answered at once and not
handled twice; an update another instance is handling right now is answered 503 (try
later); one taken longer than TAKEN_FOR ago without finishing died with its instance and
is handled again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import col

from bot.store.models import WebhookUpdate
from bot.store.queries import Store

# Longer than an update takes to handle, even when Telegram is slow (a send that times
# out three times gives up after about 17 s), and short, because an update whose
# instance died waits this long for another one to take it.
TAKEN_FOR = timedelta(seconds=30)
# Telegram keeps an unanswered update for 24 hours: a day's margin beyond that.
KEEP_FOR = timedelta(days=2)


class Taken(StrEnum):
    NEW = "new"  # handle it
    DONE = "done"  # handled before: answer 200, do nothing
    BUSY = "busy"  # being handled elsewhere: answer 503, Telegram tries again


class UpdateLedger:
    def __init__(self, store: Store) -> None:
        self.engine = store.engine

    async def take(self, update_id: int, now: datetime) -> Taken:
        try:
            async with self.engine.begin() as connection:
                await connection.execute(
                    insert(WebhookUpdate).values(update_id=update_id, taken_at=now)
                )
            return Taken.NEW
        except IntegrityError:
            pass
        async with self.engine.begin() as connection:
            # Take over an update whose first taker died; done or in hand stays as it is.
            taken = await connection.execute(
                update(WebhookUpdate)
                .where(col(WebhookUpdate.update_id) == update_id)
                .where(col(WebhookUpdate.finished_at).is_(None))
                .where(col(WebhookUpdate.taken_at) < now - TAKEN_FOR)
                .values(taken_at=now)
            )
            if taken.rowcount == 1:
                return Taken.NEW
            finished = await connection.execute(
                select(col(WebhookUpdate.finished_at)).where(
                    col(WebhookUpdate.update_id) == update_id
                )
            )
            row = finished.first()
        return Taken.DONE if row is not None and row[0] is not None else Taken.BUSY

    async def finish(self, update_id: int, now: datetime) -> None:
        async with self.engine.begin() as connection:
            await connection.execute(
                update(WebhookUpdate)
                .where(col(WebhookUpdate.update_id) == update_id)
                .values(finished_at=now)
            )

    async def forget_before(self, cutoff: datetime) -> int:
        """Drop the entries older than Telegram would ever post again."""
        async with self.engine.begin() as connection:
            gone = await connection.execute(
                delete(WebhookUpdate).where(col(WebhookUpdate.taken_at) < cutoff)
            )
        return int(gone.rowcount)
