"""Points system (积分制): base points, automatic and entered items, star bands."""

from __future__ import annotations

from collections.abc import Mapping

DEFAULT_BASE_POINTS = 60.0
# Points that events earn automatically (configurable per deployment).
AUTO_POINTS: Mapping[str, float] = {
    "request_resolved": 2.0,
    "visit_logged": 1.0,
    "post_claimed": 3.0,
    "checked_in": 1.0,
}
# (stars, lowest points): 60–69 one star … ≥ 96 five stars.
STAR_BANDS: tuple[tuple[int, float], ...] = ((5, 96.0), (4, 90.0), (3, 80.0), (2, 70.0), (1, 60.0))


def stars(points: float) -> int:
    """Star band of a points total (0 below 60)."""
    for count, lowest in STAR_BANDS:
        if points >= lowest:
            return count
    return 0


def total_points(base: float, items: list[float]) -> float:
    """Base plus every item (deductions are negative items)."""
    return round(base + sum(items), 2)
