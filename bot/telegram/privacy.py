"""What the bot holds about a person, in their hands: /export gives a copy of all of it
(CSV and a FHIR R4 bundle), /delete removes all of it after a confirmation."""

from __future__ import annotations

import json
import logging

from telegram import InputFile, Update
from telegram.ext import BaseHandler, CallbackQueryHandler, CommandHandler

from bot.coach.export import export_csv, fhir_bundle
from bot.coach.timezones import local_date
from bot.store.models import User
from bot.store.records import RecordStore
from bot.telegram import callbacks
from bot.telegram.kernel import (
    PRIVATE_MESSAGE,
    Context,
    Feature,
    Kernel,
    button,
    close_buttons,
    keyboard,
    reply,
)

log = logging.getLogger(__name__)


class Privacy(Feature):
    def __init__(self, kernel: Kernel, records: RecordStore) -> None:
        self.kernel = kernel
        self.records = records

    def handlers(self) -> list[BaseHandler[Update, Context, None]]:
        guard = self.kernel.for_person
        return [
            # An export takes a few hundred milliseconds and only reads: it runs beside the
            # updates that follow (block=False) instead of holding up everyone's replies.
            CommandHandler("export", guard(self.export), filters=PRIVATE_MESSAGE, block=False),
            CommandHandler("delete", guard(self.delete), filters=PRIVATE_MESSAGE),
            CallbackQueryHandler(self.delete_button, pattern=callbacks.DELETE_PATTERN),
        ]

    # /export

    async def export(self, update: Update, context: Context, person: User) -> None:
        assert person.id is not None and update.effective_chat is not None
        t = self.kernel.texts(context)
        results, pains = await self.records.everything(person.id)
        now = self.kernel.clock()
        name = f"{self.kernel.programme.file_prefix}-{local_date(now, person.time_zone)}"
        table = export_csv(results, pains, person.time_zone)
        bundle = fhir_bundle(pains, person.time_zone, person.telegram_user_id, now)
        bot, chat = update.get_bot(), update.effective_chat.id
        await bot.send_document(
            chat,
            InputFile(table.encode(), filename=f"{name}.csv"),
            caption=t("export-csv-caption"),
        )
        await bot.send_document(
            chat,
            InputFile(json.dumps(bundle, indent=2).encode(), filename=f"{name}.fhir.json"),
            caption=t("export-fhir-caption"),
        )

    # /delete

    async def delete(self, update: Update, context: Context, person: User) -> None:
        assert person.id is not None
        t = self.kernel.texts(context)
        await reply(
            update,
            t("delete-confirm"),
            keyboard(
                [button(t("delete-yes-button"), callbacks.delete_button(person.id))],
                [button(t("delete-no-button"), callbacks.DELETE_KEEP)],
            ),
        )

    async def delete_button(self, update: Update, context: Context) -> None:
        query = update.callback_query
        assert query is not None and query.data is not None
        t = self.kernel.texts(context)
        if query.data == callbacks.DELETE_KEEP:
            await query.answer(t("delete-kept-toast"))
            await close_buttons(query, t("delete-kept"))
            return
        person = await self.kernel.read_person(update, context)
        row_id = callbacks.parse_delete_button(query.data)
        if person is None or person.id is None or person.id != row_id:
            await query.answer(t("delete-nothing-here"))
            return
        counts, session_ids = await self.records.delete_person(person.id)
        left = await self.records.remaining(person.id, person.telegram_user_id, session_ids)
        if left:
            log.error("deleting a person left %d rows behind", left)
            raise RuntimeError("rows left after deleting a person")
        log.info("deleted a person's data: %s", counts)
        await query.answer(t("deleted-toast"))
        await close_buttons(query, t("deleted-toast"))
        await reply(update, t("deleted"))
