"""Skills: free tags normalised into a county vocabulary, and service duties."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

# Canonical skills and spellings people type for them; a county may add its own aliases.
BASE_VOCABULARY: dict[str, tuple[str, ...]] = {
    "农机维修": ("农机修理", "修农机", "农机具维修"),
    "法律咨询": ("法律", "法律援助", "法律服务"),
    "医疗": ("医疗服务", "看病", "医生", "村医", "卫生"),
    "电工": ("电器维修", "水电维修", "电路维修"),
    "养老护理": ("护理", "养老", "照护", "陪护"),
    "种植技术": ("种植", "农业技术", "农技"),
    "养殖技术": ("养殖", "畜牧"),
    "心理疏导": ("心理咨询", "心理"),
    "电商": ("电子商务", "网店", "直播带货"),
    "教育辅导": ("辅导", "家教", "课业辅导"),
    "政策宣讲": ("宣讲", "政策解读"),
    "矛盾调解": ("调解", "纠纷调解"),
}
# Branch offices (secretary, deputy secretary, committee member, cadre) are the duties the
# pay scheme pays by default; the rest are service roles.
DUTIES: frozenset[str] = frozenset(
    {
        "secretary",
        "deputy_secretary",
        "committee_member",
        "cadre",
        "supervisor",
        "handler",
        "proxy_agent",
        "grid_worker",
        "information_officer",
    }
)
SKILL_SEPARATORS = re.compile(r"[;；、,，]")
MAX_SKILL_LENGTH = 32


def base_aliases() -> dict[str, str]:
    """Every spelling of the base vocabulary, mapped to its canonical skill."""
    aliases = {canonical: canonical for canonical in BASE_VOCABULARY}
    for canonical, spellings in BASE_VOCABULARY.items():
        aliases.update({clean_tag(s): canonical for s in spellings})
    return aliases


def clean_tag(tag: str) -> str:
    """One tag in a comparable form: NFKC, trimmed, inner spaces dropped, Latin lower-cased."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", tag)).lower()


def split_skills(text: str) -> list[str]:
    """Split a cell such as `电工;养老护理、法律` into tags."""
    return [part for part in SKILL_SEPARATORS.split(text) if part.strip()]


def normalise_skills(tags: Iterable[str], aliases: Mapping[str, str]) -> list[str]:
    """Canonical skills, de-duplicated, in the given order; unknown tags kept in clean form."""
    out: list[str] = []
    for tag in tags:
        cleaned = clean_tag(tag)
        if not cleaned:
            continue
        if len(cleaned) > MAX_SKILL_LENGTH:
            raise ValueError(f"skill {cleaned[:MAX_SKILL_LENGTH]}… is longer than 32 characters")
        canonical = aliases.get(cleaned, cleaned)
        if canonical not in out:
            out.append(canonical)
    return out


def check_duties(duties: Iterable[str]) -> list[str]:
    """The duties, de-duplicated and sorted; raise ValueError naming an unknown one."""
    unknown = sorted(set(duties) - DUTIES)
    if unknown:
        raise ValueError(f"unknown duties {unknown}; known: {sorted(DUTIES)}")
    return sorted(set(duties))
