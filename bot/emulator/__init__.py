"""A local Bot API emulator that checks every request against the official spec."""

from bot.emulator.server import BotApiEmulator, SentMessage
from bot.emulator.spec import ApiSpec

__all__ = ["ApiSpec", "BotApiEmulator", "SentMessage"]
