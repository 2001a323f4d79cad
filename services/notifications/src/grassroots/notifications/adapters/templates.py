"""SQL of templates (versioned, over the built-in defaults) and of counties' rule overrides."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from grassroots.notifications.adapters.orm import rule_overrides, templates
from grassroots.notifications.domain.templates import DEFAULT_TEMPLATES, TemplateText


async def current_templates(session: AsyncSession) -> dict[tuple[str, str], TemplateText]:
    """The newest version of every template, over the built-in defaults."""
    current: dict[tuple[str, str], TemplateText] = {
        (key, locale): text
        for key, by_locale in DEFAULT_TEMPLATES.items()
        for locale, text in by_locale.items()
    }
    newest = (
        select(templates.c.key, templates.c.locale, func.max(templates.c.version).label("v"))
        .group_by(templates.c.key, templates.c.locale)
        .subquery()
    )
    rows = (
        await session.execute(
            select(templates).join(
                newest,
                (templates.c.key == newest.c.key)
                & (templates.c.locale == newest.c.locale)
                & (templates.c.version == newest.c.v),
            )
        )
    ).all()
    for row in rows:
        current[(row.key, row.locale)] = TemplateText(row.subject, row.body)
    return current


async def newest_version(session: AsyncSession, key: str, locale: str) -> int:
    """The newest stored version of a template (0: only the built-in one)."""
    found = await session.scalar(
        select(func.max(templates.c.version)).where(
            templates.c.key == key, templates.c.locale == locale
        )
    )
    return int(found or 0)


async def add_template(session: AsyncSession, values: dict[str, Any]) -> None:
    """Store a new template version."""
    await session.execute(templates.insert().values(**values))


async def rule_overrides_of(
    session: AsyncSession, county: str, rule_names: list[str] | None = None
) -> dict[str, Any]:
    """A county's rule overrides by rule name (only the named rules when given)."""
    query = select(rule_overrides).where(rule_overrides.c.county_area == county)
    if rule_names is not None:
        query = query.where(rule_overrides.c.rule.in_(rule_names))
    return {r.rule: r for r in (await session.execute(query)).all()}


async def save_rule_override(
    session: AsyncSession, county: str, rule: str, values: dict[str, Any]
) -> None:
    """Replace (or first store) a county's override of one rule."""
    changed = await session.execute(
        update(rule_overrides)
        .where(rule_overrides.c.county_area == county, rule_overrides.c.rule == rule)
        .values(**values)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        await session.execute(
            rule_overrides.insert().values(county_area=county, rule=rule, **values)
        )
