"""Three-way member review (民主评议): parts, re-weighting, grades and the one-third cap."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from statistics import fmean

PARTS = ("self", "mass", "org", "unit")
# Self 20, masses 40 (many raters averaged), organisation 20, work unit 20 (dual assessment).
DEFAULT_WEIGHTS: Mapping[str, float] = {"self": 0.2, "mass": 0.4, "org": 0.2, "unit": 0.2}
GRADES: tuple[tuple[str, float], ...] = (
    ("excellent", 90.0),
    ("qualified", 75.0),
    ("basically_qualified", 60.0),
)
LOWEST_GRADE = "unqualified"
EXCELLENT_SHARE_DIVISOR = 3


@dataclass(frozen=True)
class MemberParts:
    """The part scores of one reviewed member (mass: every rater's score)."""

    member_id: str
    self_score: float | None = None
    mass_scores: Sequence[float] = ()
    org_score: float | None = None
    unit_score: float | None = None

    def parts(self) -> dict[str, float | None]:
        """Each part's score; mass is the mean of its raters; None when missing."""
        return {
            "self": self.self_score,
            "mass": fmean(self.mass_scores) if self.mass_scores else None,
            "org": self.org_score,
            "unit": self.unit_score,
        }


@dataclass(frozen=True)
class ReviewResult:
    """One member's result."""

    member_id: str
    parts: Mapping[str, float | None]
    total: float | None
    grade: str | None
    capped: bool = False  # reached excellent but lost it to the one-third cap


def combine(parts: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
    """Weighted mean over the parts present: missing parts are re-weighted, not zeroed."""
    present = {p: w for p, w in weights.items() if w > 0 and parts.get(p) is not None}
    total_weight = sum(present.values())
    if total_weight == 0:
        return None
    return sum(w * float(parts[p] or 0.0) for p, w in present.items()) / total_weight


def grade_of(total: float) -> str:
    """excellent ≥ 90, qualified ≥ 75, basically_qualified ≥ 60, else unqualified."""
    for grade, lowest in GRADES:
        if total >= lowest:
            return grade
    return LOWEST_GRADE


def excellent_cap(reviewed: int) -> int:
    """At most one third of the reviewed members may be excellent (rounded down)."""
    return reviewed // EXCELLENT_SHARE_DIVISOR


def review_results(
    members: Sequence[MemberParts], weights: Mapping[str, float] = DEFAULT_WEIGHTS
) -> list[ReviewResult]:
    """Results ordered best first, with the one-third cap on excellent applied.

    Tie rule at the cap: among equal totals the higher organisation score keeps excellent,
    then the higher mass score, then the lower member_id; those left over become qualified.
    Members with no part at all are not reviewed and do not count towards the third.
    """
    scored: list[tuple[MemberParts, dict[str, float | None], float]] = []
    unscored: list[ReviewResult] = []
    for member in members:
        parts = member.parts()
        total = combine(parts, weights)
        if total is None:
            unscored.append(ReviewResult(member.member_id, parts, None, None))
        else:
            scored.append((member, parts, round(total, 2)))

    def order(item: tuple[MemberParts, dict[str, float | None], float]) -> tuple[object, ...]:
        member, parts, total = item
        return (-total, -(parts["org"] or -1.0), -(parts["mass"] or -1.0), member.member_id)

    scored.sort(key=order)
    cap = excellent_cap(len(scored))
    results: list[ReviewResult] = []
    excellent_given = 0
    for member, parts, total in scored:
        grade = grade_of(total)
        capped = False
        if grade == "excellent":
            if excellent_given < cap:
                excellent_given += 1
            else:
                grade, capped = "qualified", True
        results.append(ReviewResult(member.member_id, parts, total, grade, capped))
    return results + sorted(unscored, key=lambda r: r.member_id)
