"""docs/conversation.md is what the bot says now: regenerate it when the words change."""

from __future__ import annotations

from bot.transcripts import TRANSCRIPT, record_transcript


async def test_the_transcript_is_current() -> None:
    written = TRANSCRIPT.read_text(encoding="utf-8")
    now = await record_transcript()
    assert now == written, (
        "What the bot says has changed: run `python -m bot transcripts` and read the diff "
        "of docs/conversation.md before committing it."
    )
    assert "Session complete." in now and "seconds are up" in now
