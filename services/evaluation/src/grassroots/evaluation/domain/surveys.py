"""Satisfaction surveys (千人千企评机关): answers per question and their satisfaction rate."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from grassroots.evaluation.domain.indicators import BASICALLY_SATISFIED_WEIGHT

ANSWERS = ("satisfied", "basically_satisfied", "unsatisfied")


def question_results(
    questions: Sequence[str], responses: Iterable[Mapping[str, str]]
) -> dict[str, dict[str, float | int | None]]:
    """Per question: count of each answer, responses, and (satisfied + 0.9 basic) / answered."""
    out: dict[str, dict[str, float | int | None]] = {}
    tallies = {q: dict.fromkeys(ANSWERS, 0) for q in questions}
    for response in responses:
        for question, answer in response.items():
            if question in tallies and answer in ANSWERS:
                tallies[question][answer] += 1
    for question, tally in tallies.items():
        answered = sum(tally.values())
        rate = (
            None
            if answered == 0
            else (tally["satisfied"] + BASICALLY_SATISFIED_WEIGHT * tally["basically_satisfied"])
            / answered
        )
        out[question] = {**tally, "answered": answered, "satisfaction_rate": rate}
    return out


def overall_rate(results: Mapping[str, Mapping[str, float | int | None]]) -> float | None:
    """The survey's satisfaction over every answer to every question."""
    sat = basic = answered = 0.0
    for tally in results.values():
        sat += float(tally["satisfied"] or 0)
        basic += float(tally["basically_satisfied"] or 0)
        answered += float(tally["answered"] or 0)
    return None if answered == 0 else (sat + BASICALLY_SATISFIED_WEIGHT * basic) / answered
