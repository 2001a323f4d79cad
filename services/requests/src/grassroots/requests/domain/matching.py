"""Matching members to a request: skills that fit, then light load, then closeness in the tree."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Candidate:
    """A member as matching sees it."""

    member_id: str
    org_unit_id: str
    skills: tuple[str, ...]
    duties: tuple[str, ...]
    open_load: int
    distance: int
    matched: tuple[str, ...] = field(default=())

    @property
    def fit(self) -> int:
        """How many of the member's skills the need asks for."""
        return len(self.matched)


def matched_skills(skills: tuple[str, ...], wanted: list[str], description: str) -> tuple[str, ...]:
    """The member's skills the item asks for or the description mentions."""
    wanted_set = {w.strip().lower() for w in wanted if w.strip()}
    text = description.lower()
    return tuple(
        s
        for s in skills
        if s.strip() and (s.strip().lower() in wanted_set or s.strip().lower() in text)
    )


def rank_candidates(pool: list[Candidate], wanted: list[str], description: str) -> list[Candidate]:
    """Members whose skills fit, best first: more fit, fewer open requests, nearer, then id."""
    fitting = []
    for member in pool:
        matched = matched_skills(member.skills, wanted, description)
        if matched:
            fitting.append(
                Candidate(
                    member_id=member.member_id,
                    org_unit_id=member.org_unit_id,
                    skills=member.skills,
                    duties=member.duties,
                    open_load=member.open_load,
                    distance=member.distance,
                    matched=matched,
                )
            )
    return sorted(fitting, key=lambda c: (-c.fit, c.open_load, c.distance, c.member_id))
