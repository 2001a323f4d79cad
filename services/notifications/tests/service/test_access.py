"""Who may do what is decided before any read or write: the use cases' access checks against a
session that fails the test when touched."""

from __future__ import annotations

import pytest

from grassroots.kit.problems import Forbidden, Invalid, NotFound
from grassroots.notifications.service import (
    publications,
    recipients,
    rules,
    sms_sink,
    webhooks,
)
from grassroots.notifications.service.commands import (
    PublicationIn,
    RuleOverrideIn,
    SinkIn,
    WebhookIn,
)

from .fakes import COUNTY, OTHER_COUNTY, SESSION, TOWNSHIP, deps, principal


async def test_a_member_sees_their_own_preferences_without_a_lookup() -> None:
    member = principal("member", sub="m1")
    assert await recipients.place_recipient(SESSION, member, "member:m1") == "member:m1"


async def test_a_recipient_must_be_named_as_citizen_or_member() -> None:
    for recipient in ("m1", "webhook:w1", "member:"):
        with pytest.raises(Invalid):
            await recipients.place_recipient(SESSION, principal("org_admin"), recipient)


async def test_a_member_may_not_look_at_anyone_else() -> None:
    with pytest.raises(Forbidden):
        await recipients.place_recipient(SESSION, principal("member"), "citizen:r1")


async def test_rules_are_changed_per_county_inside_the_token_and_only_known_ones() -> None:
    body = RuleOverrideIn(channels=["sms"])
    admin = principal("org_admin", COUNTY)
    with pytest.raises(Invalid):
        await rules.show_rules(SESSION, admin, TOWNSHIP)
    with pytest.raises(Invalid):
        await rules.change_rule(SESSION, deps(), admin, "citizen_accepted", TOWNSHIP, body)
    with pytest.raises(Forbidden):
        await rules.change_rule(SESSION, deps(), admin, "citizen_accepted", OTHER_COUNTY, body)
    with pytest.raises(NotFound):
        await rules.change_rule(SESSION, deps(), admin, "no_such_rule", COUNTY, body)


async def test_webhooks_are_subscribed_and_changed_only_inside_an_admins_area() -> None:
    body = WebhookIn(
        url="https://example.org/hook",
        event_types=["*"],
        area_code=OTHER_COUNTY,
        secret="s" * 16,
    )
    with pytest.raises(Forbidden):
        await webhooks.subscribe_webhook(SESSION, deps(), principal("org_admin", COUNTY), body)
    with pytest.raises(Forbidden):
        await webhooks.resume_webhook(SESSION, principal("cadre"), "w1")
    with pytest.raises(Forbidden):
        await webhooks.cancel_webhook(SESSION, principal("cadre"), "w1")


async def test_a_unit_publishes_only_inside_the_publishers_subtree() -> None:
    body = PublicationIn(kind="notice", area_code=OTHER_COUNTY, title="t", body="b")
    with pytest.raises(Forbidden):
        await publications.publish(SESSION, deps(), principal("cadre", COUNTY), body)


async def test_the_sms_sink_takes_an_empty_batch_without_writing_and_names_a_missing_field() -> (
    None
):
    answer = await sms_sink.receive_messages(SESSION, deps(), SinkIn(messages=[]))
    assert answer == {"status": "accepted", "results": []}
    with pytest.raises(Invalid):
        await sms_sink.receive_messages(SESSION, deps(), SinkIn(to="13800000000"))
