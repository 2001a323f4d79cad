"""Business metrics of the requests service (labels bounded: tiers, channels, causes)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

INTAKE = Counter("gr_requests_intake_total", "Requests taken in, by channel.", ["channel"])
TRANSITIONS = Counter(
    "gr_requests_transitions_total", "State transitions applied, by action.", ["action"]
)
ESCALATIONS = Counter(
    "gr_requests_escalations_total",
    "Requests moved to the unit above, by cause (manual or overdue) and the tier they left.",
    ["cause", "tier"],
)
OPEN = Gauge("gr_requests_open", "Open requests by the tier of the unit holding them.", ["tier"])
OVERDUE = Gauge(
    "gr_requests_overdue", "Open requests past their due time, by holding tier.", ["tier"]
)
_DAY_BUCKETS = (600, 3600, 4 * 3600, 12 * 3600, 86400, 3 * 86400, 7 * 86400, 15 * 86400, 30 * 86400)
TIME_TO_ACCEPT = Histogram(
    "gr_requests_time_to_accept_seconds",
    "Seconds from intake to first acceptance.",
    buckets=_DAY_BUCKETS,
)
TIME_TO_RESOLVE = Histogram(
    "gr_requests_time_to_resolve_seconds",
    "Seconds from intake to resolution.",
    buckets=_DAY_BUCKETS,
)
SCAN_DURATION = Histogram(
    "gr_requests_sla_scan_duration_seconds",
    "Duration of one SLA scan.",
    buckets=(0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0),
)
SCAN_LAG = Gauge(
    "gr_requests_sla_scan_lag_seconds",
    "How far past its due time the oldest not-yet-handled overdue request is.",
)
RATE_LIMITED = Counter(
    "gr_requests_public_rate_limited_total", "Public submissions refused with 429."
)
DUPLICATE_DETECTION = Histogram(
    "gr_requests_duplicate_detection_seconds",
    "Duration of the duplicate look-up of one intake.",
    buckets=(0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.5),
)
ATTACHMENTS = Counter(
    "gr_requests_attachments_total",
    "Attachments stored, by content type and who uploaded them.",
    ["content_type", "uploaded_by"],
)
