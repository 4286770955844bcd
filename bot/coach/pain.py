"""Read a 0-10 pain rating from what a person typed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

PAIN_MIN = 0
PAIN_MAX = 10
# Longer than any honest way of writing a number from 0 to 10 ("10 / 10" and spaces).
_MAX_LENGTH = 12

_WHOLE = re.compile(r"^([+-]?\d+)(?:\s*/\s*10)?$")
_DECIMAL = re.compile(r"^[+-]?\d*[.,]\d+(?:\s*/\s*10)?$")


class PainProblem(Enum):
    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    NOT_WHOLE = "not_whole"
    OUT_OF_RANGE = "out_of_range"


@dataclass(frozen=True)
class PainReading:
    score: int | None
    problem: PainProblem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def parse_pain(text: str | None) -> PainReading:
    """A whole number from 0 to 10, optionally written as "7/10"; anything else is a problem."""
    cleaned = (text or "").strip()
    if not cleaned:
        return PainReading(None, PainProblem.EMPTY)
    if len(cleaned) > _MAX_LENGTH:
        return PainReading(None, PainProblem.NOT_A_NUMBER)
    whole = _WHOLE.match(cleaned)
    if whole:
        value = int(whole.group(1))
        if PAIN_MIN <= value <= PAIN_MAX:
            return PainReading(value)
        return PainReading(None, PainProblem.OUT_OF_RANGE)
    if _DECIMAL.match(cleaned):
        return PainReading(None, PainProblem.NOT_WHOLE)
    return PainReading(None, PainProblem.NOT_A_NUMBER)


def looks_like_pain_answer(text: str) -> bool:
    """True when a message outside a session is meant as a number, right or wrong.

    A bare number (even "11" or "5.5") is a check-in attempt and deserves an answer
    about the 0-10 scale; an ordinary sentence is not.
    """
    cleaned = text.strip()
    return (
        bool(cleaned)
        and len(cleaned) <= _MAX_LENGTH
        and bool(_WHOLE.match(cleaned) or _DECIMAL.match(cleaned))
    )
