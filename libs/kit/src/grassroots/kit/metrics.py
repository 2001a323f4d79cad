"""Prometheus metrics every service exposes; labels are bounded (no ids, no raw subjects)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "gr_http_requests_total",
    "HTTP requests answered, by route template and status code.",
    ["service", "method", "route", "status"],
)
HTTP_DURATION = Histogram(
    "gr_http_request_duration_seconds",
    "HTTP request latency by route template.",
    ["service", "method", "route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
EVENTS_PUBLISHED = Counter(
    "gr_events_published_total", "Events the outbox relay published to JetStream.", ["service"]
)
EVENTS_CONSUMED = Counter(
    "gr_events_consumed_total",
    "Events a consumer handled (including skipped duplicates), by consumer and event type.",
    ["service", "consumer", "type"],
)
EVENTS_DUPLICATE = Counter(
    "gr_events_duplicate_total",
    "Events a consumer had already processed and skipped.",
    ["service", "consumer"],
)
EVENTS_FAILED = Counter(
    "gr_events_failed_total",
    "Event deliveries whose handler raised (to be redelivered or dead-lettered).",
    ["service", "consumer"],
)
EVENTS_DEAD_LETTERED = Counter(
    "gr_events_dead_lettered_total",
    "Events parked in the dead-letter store.",
    ["service", "consumer"],
)
OUTBOX_BACKLOG = Gauge("gr_outbox_backlog", "Events waiting in the outbox.", ["service"])
OUTBOX_OLDEST_AGE = Gauge(
    "gr_outbox_oldest_age_seconds", "Age of the oldest unpublished outbox event.", ["service"]
)
CONSUMER_PENDING = Gauge(
    "gr_consumer_pending_messages",
    "Messages a durable consumer has not yet received (consumer lag).",
    ["service", "consumer"],
)
CONSUMER_ACK_PENDING = Gauge(
    "gr_consumer_ack_pending_messages",
    "Messages delivered to a consumer and not yet acknowledged.",
    ["service", "consumer"],
)
GROUP_COMMIT_BATCH = Histogram(
    "gr_group_commit_batch_size",
    "Callers whose rows shared one transaction.",
    ["writer"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
GROUP_COMMIT_SECONDS = Histogram(
    "gr_group_commit_seconds",
    "Time a shared transaction took, from its first statement to its commit.",
    ["writer"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0),
)


def initialise_consumer(service: str, consumer: str) -> None:
    """Create a consumer's alerted-on series at zero, so `increase()` sees the first event."""
    for counter in (EVENTS_FAILED, EVENTS_DEAD_LETTERED, EVENTS_DUPLICATE):
        counter.labels(service, consumer)


def initialise_service(service: str) -> None:
    """Create a service's alerted-on series at zero before the first event is published."""
    EVENTS_PUBLISHED.labels(service)
