"""Business metrics of the notifications service (bounded labels: channel, status)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

NOTIFICATIONS = Counter(
    "gr_notifications_total",
    "Notifications entering a status, by channel and status.",
    ["channel", "status"],
)
DELIVERY_SECONDS = Histogram(
    "gr_notification_delivery_seconds",
    "Time from a notification's creation to its leaving through the channel.",
    ["channel"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 1800, 3600, 43200),
)
RETRIES = Counter(
    "gr_notification_retries_total",
    "Delivery attempts that failed and will be retried.",
    ["channel"],
)
DEAD = Counter(
    "gr_notifications_dead_total", "Notifications given up after every attempt.", ["channel"]
)
WEBHOOK_FAILURES = Counter(
    "gr_webhook_failures_total", "Webhook deliveries the receiver did not accept."
)
WEBHOOKS_PAUSED = Counter(
    "gr_webhooks_paused_total", "Webhook subscriptions paused after repeated failures."
)
OLDEST_PENDING = Gauge(
    "gr_notifications_oldest_pending_age_seconds",
    "Age of the oldest notification due and not yet sent.",
)
DROPPED = Counter(
    "gr_notifications_dropped_total",
    "Notifications not created or not sent because the contact was erased.",
)
FALLBACKS = Counter(
    "gr_notification_fallbacks_total",
    "Messages moved to the next channel their rule allows after failing for good on one.",
    ["from_channel", "to_channel"],
)
