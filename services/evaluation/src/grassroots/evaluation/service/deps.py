"""What every use case of the evaluation service is given, built once in `main.py`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from grassroots.evaluation.domain.indicators import CountRules
from grassroots.evaluation.domain.topics import TopicRules
from grassroots.kit.outbox import Outbox


@dataclass(frozen=True)
class Deps:
    """The outbox, the configured rules, and the calendar of working days."""

    outbox: Outbox
    rules: CountRules
    appeal_window_workdays: int
    is_workday: Callable[[date], bool]
    base_points: float
    cadre_subsidy_per_year: float
    pay_base_share: float
    pay_duties: frozenset[str]
    topic_rules: TopicRules
