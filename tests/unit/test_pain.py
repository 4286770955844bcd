import pytest

from bot.coach.pain import PainProblem, looks_like_pain_answer, parse_pain


@pytest.mark.parametrize(
    ("typed", "score"),
    [("0", 0), ("10", 10), (" 7 ", 7), ("7/10", 7), ("3 / 10", 3), ("+4", 4), ("05", 5)],
)
def test_whole_numbers_0_to_10_are_read(typed: str, score: int) -> None:
    assert parse_pain(typed).score == score
    assert parse_pain(typed).ok


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("11", PainProblem.OUT_OF_RANGE),
        ("-1", PainProblem.OUT_OF_RANGE),
        ("100", PainProblem.OUT_OF_RANGE),
        ("5.5", PainProblem.NOT_WHOLE),
        ("5,5", PainProblem.NOT_WHOLE),
        ("seven", PainProblem.NOT_A_NUMBER),
        ("😖", PainProblem.NOT_A_NUMBER),
        ("", PainProblem.EMPTY),
        ("   ", PainProblem.EMPTY),
        (None, PainProblem.EMPTY),
        ("7" * 5000, PainProblem.NOT_A_NUMBER),
        ("7 because it hurts", PainProblem.NOT_A_NUMBER),
        ("7/9", PainProblem.NOT_A_NUMBER),
    ],
)
def test_everything_else_is_a_named_problem(typed: str | None, problem: PainProblem) -> None:
    reading = parse_pain(typed)
    assert reading.score is None
    assert reading.problem is problem


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("4", True), ("11", True), ("5.5", True), ("hello", False), ("", False), ("4 today", False)],
)
def test_what_counts_as_a_checkin_attempt(typed: str, expected: bool) -> None:
    assert looks_like_pain_answer(typed) is expected
