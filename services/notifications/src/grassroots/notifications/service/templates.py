"""Use cases of templates: the current versions with a sample rendering, and new versions."""

from __future__ import annotations

from typing import Any

from grassroots.kit.auth import Principal
from grassroots.kit.db import AsyncSession
from grassroots.kit.problems import Invalid, NotFound
from grassroots.notifications.adapters import templates as repo
from grassroots.notifications.domain.policy import sms_segments
from grassroots.notifications.domain.templates import (
    SAMPLE_CONTEXT,
    TemplateInvalid,
    TemplateText,
    validate_template,
)
from grassroots.notifications.service.commands import TemplateIn
from grassroots.notifications.service.deps import Deps


def _shown(key: str, locale: str, version: int, text: TemplateText) -> dict[str, Any]:
    sample = validate_template(key, locale, text)
    return {
        "key": key,
        "locale": locale,
        "version": version,
        "subject": text.subject,
        "body": text.body,
        "variables": sorted(SAMPLE_CONTEXT[key]),
        "sample_subject": sample.subject,
        "sample_body": sample.body,
        "sms_segments": sms_segments(sample.body),
    }


async def list_templates(session: AsyncSession) -> list[dict[str, Any]]:
    """The current version of every template in every locale (version 0 = built-in)."""
    current = await repo.current_templates(session)
    out = []
    for (key, locale), text in sorted(current.items()):
        out.append(_shown(key, locale, await repo.newest_version(session, key, locale), text))
    return out


async def show_template(session: AsyncSession, key: str, locale: str) -> dict[str, Any]:
    """The current version of one template."""
    current = await repo.current_templates(session)
    if (key, locale) not in current:
        raise NotFound(f"no template {key} in {locale}")
    version = await repo.newest_version(session, key, locale)
    return _shown(key, locale, version, current[(key, locale)])


async def save_template(
    session: AsyncSession, deps: Deps, principal: Principal, key: str, body: TemplateIn
) -> dict[str, Any]:
    """Save a new version; a template that does not render with the key's variables is refused."""
    text = TemplateText(body.subject, body.body)
    try:
        validate_template(key, body.locale, text)
    except TemplateInvalid as exc:
        raise Invalid(exc.field, exc.message) from exc
    version = await repo.newest_version(session, key, body.locale) + 1
    await repo.add_template(
        session,
        {
            "key": key,
            "locale": body.locale,
            "version": version,
            "subject": body.subject,
            "body": body.body,
            "created_by": principal.sub,
            "created_at": deps.clock(),
        },
    )
    return _shown(key, body.locale, version, text)
