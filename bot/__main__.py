"""Command line.

python -m bot            run the bot (long polling); needs TELEGRAM_BOT_TOKEN
python -m bot migrate    bring the database schema up to date
python -m bot demo       try the bot in this terminal, no token needed (--fresh: start over)
"""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from dotenv import load_dotenv

from bot.config import Settings, SettingsError, load_settings, load_webhook_settings
from bot.logs import configure_logging
from bot.programme import ContentError, Programme, Safety, load_programme, load_safety

USAGE = """\
usage: python -m bot [run | webhook | migrate | backup FILE | demo [--fresh] | transcripts]

  run       (the default) the bot by long polling; needs TELEGRAM_BOT_TOKEN
  webhook   the bot as a webhook server; needs WEBHOOK_URL and WEBHOOK_SECRET too
  migrate   bring the database up to date without starting the bot
  backup FILE  a consistent copy of the SQLite database into FILE, also while the bot
            runs (PostgreSQL: use pg_dump)
  demo      chat with the real bot in this terminal, no token needed
            (--fresh: forget the demo's earlier history)
  transcripts  play the main journeys against the emulator into docs/conversation.md

Settings come from the environment and from .env; see .env.example and the README."""


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "run"
    if command in ("-h", "--help", "help") and len(argv) == 1:
        print(USAGE)
        return 0
    if command == "transcripts" and len(argv) == 1:
        from bot.transcripts import main as transcripts

        return transcripts()
    if command == "demo" and set(argv[1:]) <= {"--fresh"}:
        return _demo(fresh="--fresh" in argv)
    if command == "backup" and len(argv) == 2:
        return _backup(Path(argv[1]))
    if command not in ("run", "webhook", "migrate") or len(argv) > 1:
        print(USAGE, file=sys.stderr)
        return 2
    load_dotenv(override=False)
    try:
        if command == "migrate":
            # Migrating needs no token; give it a placeholder so the rest is validated.
            settings = load_settings({"TELEGRAM_BOT_TOKEN": "unused", **os.environ})
        else:
            settings = load_settings(os.environ)
        hook = load_webhook_settings(os.environ) if command == "webhook" else None
        programme, safety = load_programme(), load_safety()
    except (SettingsError, ContentError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, settings.telegram_bot_token)

    if command == "migrate":
        from bot.store.engine import create_engine, migrate

        async def run_migrations() -> None:
            engine = create_engine(settings.database_url)
            await migrate(engine)
            await engine.dispose()

        asyncio.run(run_migrations())
        print("database is up to date", file=sys.stderr)
        return 0

    from telegram.error import InvalidToken

    try:
        if hook is not None:
            from bot.app import build_application
            from bot.webhook import run

            asyncio.run(run(build_application(settings, programme, safety, webhook=True), hook))
            return 0
        return _run(settings, programme, safety)
    except InvalidToken:
        print(
            "error: Telegram refused TELEGRAM_BOT_TOKEN (invalid or revoked); get the "
            "current token from @BotFather with /token",
            file=sys.stderr,
        )
        return 2


def _run(settings: Settings, programme: Programme, safety: Safety) -> int:
    from bot.app import build_application, serve_polling

    asyncio.run(serve_polling(build_application(settings, programme, safety)))
    return 0


def _backup(target: Path) -> int:
    from bot.store.backup import BackupError, backup

    load_dotenv(override=False)
    try:
        settings = load_settings({"TELEGRAM_BOT_TOKEN": "unused", **os.environ})
        size = backup(settings.database_url, target)
    except (SettingsError, BackupError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"backed up the database to {target} ({size} bytes)", file=sys.stderr)
    return 0


def _demo(*, fresh: bool) -> int:
    # No .env here: the demo must not pick up a real token or database by accident.
    from bot.demo import DemoOptions
    from bot.demo import main as demo_main

    try:
        return asyncio.run(demo_main(DemoOptions(fresh=fresh)))
    except KeyboardInterrupt:
        from bot.demo import demo_command

        print(f"\nBye. Run `{demo_command()}` again to continue.")
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
