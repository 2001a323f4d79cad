"""Routes of satisfaction surveys: questions, single-use codes, public answers, results."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from grassroots.evaluation.entrypoints.http.deps import (
    AppDeps,
    CurrentPrincipal,
    ReadSession,
    Session,
)
from grassroots.evaluation.entrypoints.http.schemas import SurveyOut
from grassroots.evaluation.service import surveys
from grassroots.evaluation.service.commands import CodesIn, ResponseIn, SurveyIn
from grassroots.kit.guards import Cadre

router = APIRouter(prefix="/v1", tags=["review, points, surveys, pay"])


@router.post("/surveys", response_model=SurveyOut, status_code=201)
async def create_survey(
    body: SurveyIn, principal: Cadre, session: Session, deps: AppDeps
) -> SurveyOut:
    """Create a survey (千人千企评机关)."""
    return SurveyOut(**await surveys.create_survey(session, deps, principal, body))


@router.get("/surveys/{survey_id}", response_model=SurveyOut)
async def get_survey(survey_id: str, session: ReadSession, deps: AppDeps) -> SurveyOut:
    """A survey's questions (public: respondents need no token)."""
    return SurveyOut(**await surveys.show_survey(session, deps, survey_id))


@router.post("/surveys/{survey_id}/codes", status_code=201)
async def issue_codes(
    survey_id: str, body: CodesIn, principal: Cadre, session: Session, deps: AppDeps
) -> dict[str, Any]:
    """Issue single-use response codes; they are shown once and kept only as hashes."""
    return await surveys.issue_codes(session, deps, principal, survey_id, body)


@router.post("/surveys/{survey_id}/responses", status_code=201)
async def respond(
    survey_id: str, body: ResponseIn, session: Session, deps: AppDeps
) -> dict[str, str]:
    """Answer a survey (public) with a code it issued: one answer per code, a made-up code 403."""
    return await surveys.record_response(session, deps, survey_id, body)


@router.get("/surveys/{survey_id}/results")
async def get_survey_results(
    survey_id: str, principal: CurrentPrincipal, session: ReadSession, deps: AppDeps
) -> dict[str, Any]:
    """Answers per question and the survey's satisfaction rate."""
    return await surveys.show_survey_results(session, deps, principal, survey_id)
