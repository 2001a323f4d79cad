"""The table of consumers: every stream and event type the service hears, and who hears webhooks."""

from __future__ import annotations

from grassroots.contracts.events.base import REGISTRY
from grassroots.notifications.entrypoints.subscribers import TABLE, subscribers

from ..service.fakes import deps


def test_the_table_names_four_durable_consumers_on_their_streams() -> None:
    specs = {spec.name: spec for spec in subscribers(deps())}
    assert {name: spec.stream.name for name, spec in specs.items()} == {
        "contacts": "GR_NOTIFY",
        "members": "GR_MEMBERS",
        "requests": "GR_REQUESTS",
        "evaluation": "GR_EVALUATION",
    }


def test_every_member_and_request_event_is_heard_and_contacts_are_not_sent_to_webhooks() -> None:
    specs = {spec.name: spec for spec in subscribers(deps())}
    for prefix, name in (("gr.members.", "members"), ("gr.requests.", "requests")):
        assert set(specs[name].handlers) == {t for t in REGISTRY if t.startswith(prefix)}
    assert set(specs["contacts"].handlers) == {
        "gr.notify.contact_upserted.v1",
        "gr.notify.contact_erased.v1",
    }
    assert set(specs["evaluation"].handlers) == {"gr.evaluation.published.v1"}
    assert {name: queued for name, (_, _, queued) in TABLE.items()} == {
        "contacts": False,
        "members": True,
        "requests": True,
        "evaluation": True,
    }
