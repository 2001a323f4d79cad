"""Performance pay of village cadres: base share and a performance share scaled by score."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BASE_SHARE = 0.6  # 60 % paid monthly as base pay (seed 001)


@dataclass(frozen=True)
class PaySplit:
    """One cadre's pay for a period."""

    subsidy: float
    base_pay: float
    performance_pool: float
    performance_pay: float
    total: float


def split_pay(
    subsidy: float, score: float | None, base_share: float = DEFAULT_BASE_SHARE
) -> PaySplit:
    """Base = subsidy × base share; performance = the rest × score/100 (no score: nothing)."""
    if not 0.0 <= base_share <= 1.0:
        raise ValueError("base_share must be between 0 and 1")
    if subsidy < 0:
        raise ValueError("subsidy must not be negative")
    base = subsidy * base_share
    pool = subsidy - base
    factor = 0.0 if score is None else min(max(score, 0.0), 100.0) / 100.0
    performance = pool * factor
    return PaySplit(
        subsidy=round(subsidy, 2),
        base_pay=round(base, 2),
        performance_pool=round(pool, 2),
        performance_pay=round(performance, 2),
        total=round(base + performance, 2),
    )
