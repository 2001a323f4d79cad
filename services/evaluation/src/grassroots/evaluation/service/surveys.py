"""Satisfaction surveys (千人千企评机关): single-use response codes, answers and their rates."""

from __future__ import annotations

import hashlib
import secrets
from collections import defaultdict
from typing import Any

from uuid6 import uuid7

from grassroots.evaluation.adapters import people as store
from grassroots.evaluation.adapters.items import survey_store
from grassroots.evaluation.domain.periods import Period, PeriodError
from grassroots.evaluation.domain.surveys import overall_rate, question_results
from grassroots.evaluation.domain.tree import Tree
from grassroots.evaluation.service.access import parse_period, scoped_unit
from grassroots.evaluation.service.commands import CodesIn, ResponseIn, SurveyIn
from grassroots.evaluation.service.deps import Deps
from grassroots.kit.auth import Principal
from grassroots.kit.clock import utcnow
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Conflict, Forbidden, Invalid, NotFound

# Codes people type from paper or an SMS: no 0/O, 1/I/L look-alikes.
CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 10  # about 49 bits: guessing one of a few thousand live codes is hopeless


def code_hash(survey_id: str, code: str) -> str:
    """Response codes are kept only as hashes bound to their survey."""
    normalised = code.strip().upper().replace("-", "")
    return hashlib.sha256(f"{survey_id}:{normalised}".encode()).hexdigest()


async def create_survey(
    session: AsyncSession, deps: Deps, principal: Principal, command: SurveyIn
) -> dict[str, Any]:
    """Create a survey (千人千企评机关)."""
    principal.require_role("cadre")
    parse_period(command.period)
    row = {
        "id": str(uuid7()),
        "org_unit_id": command.org_unit_id,
        "period": command.period,
        "title": command.title,
        "questions": [q.model_dump() for q in command.questions],
        "created_by": principal.sub,
        "created_at": utcnow(),
    }
    await scoped_unit(session, principal, command.org_unit_id)
    await survey_store.add(session, row)
    return row


async def _survey(session: AsyncSession, survey_id: str) -> dict[str, Any]:
    row = await survey_store.get(session, survey_id)
    if row is None:
        raise NotFound(f"no survey {survey_id}")
    return row


async def show_survey(session: AsyncSession, deps: Deps, survey_id: str) -> dict[str, Any]:
    """A survey's questions (public: respondents need no token)."""
    row = await _survey(session, survey_id)
    return {k: row[k] for k in ("id", "org_unit_id", "period", "title", "questions")}


async def issue_codes(
    session: AsyncSession, deps: Deps, principal: Principal, survey_id: str, command: CodesIn
) -> dict[str, Any]:
    """Issue single-use response codes; they are shown once and kept only as hashes."""
    principal.require_role("cadre")
    survey = await _survey(session, survey_id)
    await scoped_unit(session, principal, survey["org_unit_id"])
    now = utcnow()
    codes = [
        "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        for _ in range(command.count)
    ]
    await store.add_codes(
        session,
        [
            {
                "survey_id": survey_id,
                "code_hash": code_hash(survey_id, code),
                "issued_by": principal.sub,
                "issued_at": now,
                "used_at": None,
            }
            for code in codes
        ],
    )
    return {"survey_id": survey_id, "codes": codes}


async def record_response(
    session: AsyncSession, deps: Deps, survey_id: str, command: ResponseIn
) -> dict[str, str]:
    """Answer a survey (public) with a code it issued: one answer per code, a made-up code 403,
    a spent one 409."""
    survey = await _survey(session, survey_id)
    codes = {q["code"] for q in survey["questions"]}
    unknown = sorted(set(command.answers) - codes)
    if unknown:
        raise Invalid("answers", f"unknown questions {unknown}")
    if not command.answers:
        raise Invalid("answers", "answer at least one question")
    hashed = code_hash(survey_id, command.response_code)
    now = utcnow()
    if not await store.spend_code(session, survey_id, hashed, now):
        if not await store.code_issued(session, survey_id, hashed):
            raise Forbidden("response_code: not a code this survey issued")
        raise Conflict("this response code has already been used")
    await store.add_response(
        session,
        {
            "survey_id": survey_id,
            "respondent_key": hashed,
            "answers": dict(command.answers),
            "created_at": now,
        },
    )
    return {"status": "recorded"}


async def survey_results(session: AsyncSession, survey: dict[str, Any]) -> dict[str, Any]:
    """Per-question answer counts and satisfaction, and the survey's overall rate."""
    answers, respondents = await store.survey_answers(session, survey["id"])
    codes = [q["code"] for q in survey["questions"]]
    per_question = question_results(codes, answers)
    return {
        "survey_id": survey["id"],
        "org_unit_id": survey["org_unit_id"],
        "period": survey["period"],
        "respondents": respondents,
        "questions": per_question,
        "satisfaction_rate": overall_rate(per_question),
    }


async def show_survey_results(
    session: AsyncSession, deps: Deps, principal: Principal, survey_id: str
) -> dict[str, Any]:
    """Answers per question and the survey's satisfaction rate."""
    survey = await _survey(session, survey_id)
    await scoped_unit(session, principal, survey["org_unit_id"])
    return await survey_results(session, survey)


async def survey_rates(
    session: AsyncSession, tree: Tree, roots: list[str], period: Period
) -> dict[str, float | None]:
    """Survey satisfaction per root over the surveys of its subtree inside the period."""
    owner = {u: root for root in roots for u in tree.subtree(root)}
    inside = []
    for row in await store.surveys_of(session, list(owner)):
        try:
            if set(Period.parse(row["period"]).months) <= set(period.months):
                inside.append(row)
        except PeriodError:
            continue
    tallies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in inside:
        results = await survey_results(session, row)
        tallies[owner[row["org_unit_id"]]].append(results["questions"])
    out: dict[str, float | None] = {}
    for root in roots:
        merged: dict[str, dict[str, Any]] = {}
        for i, per_question in enumerate(tallies.get(root, [])):
            for code, tally in per_question.items():
                merged[f"{i}:{code}"] = tally
        out[root] = overall_rate(merged) if merged else None
    return out
