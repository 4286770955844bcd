"""The pain rules: when a rating or an answer calls for advice. Plain functions, no I/O.

Every threshold is a named constant whose comment names its source; the advice texts
themselves, with the same sources, are in ``content/safety.toml``. None of this is in
the physiotherapist's handout: it is our reading of published guidance, not yet
reviewed by a clinician (see the README's safety section).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from enum import StrEnum
from itertools import pairwise
from statistics import median_low

# Pain-monitoring model: up to 5/10 during exercise is acceptable if it settles by the
# next morning; above it, reduce the load (Silbernagel et al. 2007; Thomeé 1997).
PAIN_ACCEPTABLE_MAX = 5
# Severe pain on the 0-10 numeric rating scale for musculoskeletal pain starts at 8
# (Boonstra et al., Pain 2014): stop and contact a clinician.
SEVERE_PAIN = 8
# A rating this many points above the person's usual level gets the pain-monitoring
# advice even below PAIN_ACCEPTABLE_MAX: 2 points is the minimal important change on the
# 0-10 scale (Ostelo et al., Spine 2008), so a rise of 2 is a real worsening.
ABOVE_USUAL = 2
# "Usual level": the median of the person's own ratings over the last two weeks, once
# there are at least three of them. Ours: a short, recent window so that improvement
# lowers the bar; three ratings so that one bad day does not set it.
USUAL_WINDOW = timedelta(days=14)
USUAL_MIN_RATINGS = 3
# Pain after the session rising in this many consecutive sessions: stop and ask a
# clinician (NICE NG59: review the plan when symptoms get worse).
RISING_SESSIONS = 3
# "Too painful" on the same exercise this many times in a row: suggest leaving it out
# and asking a clinician (the handout: avoid symptom-triggering movements).
TOO_PAINFUL_IN_A_ROW = 2

# The constants that the advice texts in content/safety.toml quote, by the name they use.
QUOTED = {
    "pain_acceptable_max": PAIN_ACCEPTABLE_MAX,
    "severe_pain": SEVERE_PAIN,
    "above_usual": ABOVE_USUAL,
    "rising_sessions": RISING_SESSIONS,
    "too_painful_in_a_row": TOO_PAINFUL_IN_A_ROW,
}


class Advice(StrEnum):
    """What a pain rating calls for; the values name the entries in content/safety.toml."""

    NONE = "none"
    PAIN_MONITORING = "pain_monitoring"  # above PAIN_ACCEPTABLE_MAX
    ABOVE_USUAL = "above_usual"  # not above it, but ABOVE_USUAL points above the usual level
    STOP_AND_CONTACT = "stop_and_contact"


def usual_pain(earlier_ratings: Sequence[int]) -> int | None:
    """The person's usual level from their ratings in USUAL_WINDOW (not counting the one
    being judged); None until there are USUAL_MIN_RATINGS of them."""
    if len(earlier_ratings) < USUAL_MIN_RATINGS:
        return None
    return int(median_low(earlier_ratings))


def pain_advice(score: int, usual: int | None) -> Advice:
    """The advice for one rating, during or after a session or at any other time."""
    if score >= SEVERE_PAIN:
        return Advice.STOP_AND_CONTACT
    if score > PAIN_ACCEPTABLE_MAX:
        return Advice.PAIN_MONITORING
    if usual is not None and score >= usual + ABOVE_USUAL:
        return Advice.ABOVE_USUAL
    return Advice.NONE


def pain_rising(pain_after_oldest_first: Sequence[int]) -> bool:
    """True when the last RISING_SESSIONS sessions' pain-after ratings each rose."""
    last = list(pain_after_oldest_first[-RISING_SESSIONS:])
    if len(last) < RISING_SESSIONS:
        return False
    return all(later > earlier for earlier, later in pairwise(last))


def leave_out(too_painful_newest_first: Sequence[bool]) -> bool:
    """True when the latest TOO_PAINFUL_IN_A_ROW answers for one exercise (and side) were
    all "too painful", the one just given included."""
    last = too_painful_newest_first[:TOO_PAINFUL_IN_A_ROW]
    return len(last) == TOO_PAINFUL_IN_A_ROW and all(last)
