"""Business metrics of the evaluation service (bounded labels only)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge

RANKINGS_PUBLISHED = Counter(
    "gr_evaluation_published_total", "Rankings and results frozen and published.", ["kind"]
)
PROJECTION_LAG = Gauge(
    "gr_evaluation_projection_lag_seconds",
    "Age of the newest event the projection applied when it applied it, by stream.",
    ["stream"],
)
REBUILD_DURATION = Gauge(
    "gr_evaluation_rebuild_duration_seconds", "How long the last rebuild by replay took."
)
REBUILD_EVENTS = Gauge(
    "gr_evaluation_rebuild_events", "How many events the last rebuild by replay applied."
)
