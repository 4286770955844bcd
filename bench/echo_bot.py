"""A bare python-telegram-bot echo bot: the baseline of `bench.overhead`.

    TELEGRAM_BOT_TOKEN=... TELEGRAM_API_BASE_URL=http://127.0.0.1:PORT/bot python -m bench.echo_bot

Replies to a text with the same text and a button; answers a tap and replies "Done". It
does the least a bot can do for the same updates, with PTB's defaults and the same
long polling as `python -m bot`.
"""

from __future__ import annotations

import os
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, MessageHandler
from telegram.ext import filters as ptb_filters

AnyApplication = Application[Any, Any, Any, Any, Any, Any]
KEYBOARD = InlineKeyboardMarkup([[InlineKeyboardButton("✅ Done", callback_data="d")]])


async def echo(update: Update, _context: Any) -> None:
    assert update.effective_message is not None and update.effective_chat is not None
    await update.get_bot().send_message(
        update.effective_chat.id, update.effective_message.text or "?", reply_markup=KEYBOARD
    )


async def pressed(update: Update, _context: Any) -> None:
    assert update.callback_query is not None and update.effective_chat is not None
    await update.callback_query.answer()
    await update.get_bot().send_message(update.effective_chat.id, "Done", reply_markup=KEYBOARD)


def echo_application(token: str, base_url: str) -> AnyApplication:
    application = ApplicationBuilder().token(token).base_url(base_url).build()
    application.add_handler(MessageHandler(ptb_filters.TEXT, echo))
    application.add_handler(CallbackQueryHandler(pressed))
    return application


if __name__ == "__main__":
    echo_application(
        os.environ["TELEGRAM_BOT_TOKEN"], os.environ["TELEGRAM_API_BASE_URL"]
    ).run_polling(allowed_updates=Update.ALL_TYPES)
