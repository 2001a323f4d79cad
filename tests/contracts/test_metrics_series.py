"""Counters that alerts watch with increase() exist at zero before their first event."""

from __future__ import annotations

from fastapi import FastAPI
from prometheus_client import REGISTRY

ALERTED_PER_CONSUMER = ("gr_events_dead_lettered_total", "gr_events_failed_total")


def test_every_consumer_has_its_alerted_series_before_any_event(service_app: FastAPI) -> None:
    runtime = service_app.state.runtime
    published = {"service": runtime.service}
    assert REGISTRY.get_sample_value("gr_events_published_total", published) is not None
    for spec in runtime.consumers.specs:
        labels = {"service": runtime.service, "consumer": spec.name}
        for name in ALERTED_PER_CONSUMER:
            assert REGISTRY.get_sample_value(name, labels) is not None, (name, labels)
