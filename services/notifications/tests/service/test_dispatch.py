"""Sending a planned batch: outcomes by channel answer, batching, retries, dead letters; against
in-memory channels, without a database."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from grassroots.notifications.adapters.channels import DeliveryError
from grassroots.notifications.domain.templates import TemplateText
from grassroots.notifications.service.dispatch import Planned, Result, send_deliveries

from .fakes import NOW, ManyAtOnce, OneByOne, deps, outgoing, row

TEXT = TemplateText("subject", "body")


def ready(*rows: Any) -> list[Any]:
    return [(r, outgoing(r.id), TEXT) for r in rows]


async def test_a_sent_message_counts_an_attempt_and_keeps_its_rendered_text() -> None:
    inbox = OneByOne("delivered")
    results = await send_deliveries(
        deps({"inbox": inbox}), Planned(ready=({"inbox": ready(row("n1", "inbox"))}))
    )
    assert inbox.sent == ["n1"]
    [result] = results
    assert (result.status, result.attempts, result.sent_at) == ("delivered", 1, NOW)
    assert (result.subject, result.body) == ("subject", "body")


async def test_outcomes_decided_while_planning_pass_through_unchanged() -> None:
    held = Result(row("n1", "sms"), "pending", 0, NOW + timedelta(hours=8))
    results = await send_deliveries(deps({"sms": OneByOne()}), Planned(outcomes=[held]))
    assert results == [held]


async def test_a_retryable_failure_is_retried_later_and_the_last_attempt_is_dead() -> None:
    failing = OneByOne(DeliveryError("gateway 503"))
    planned = Planned(ready={"sms": ready(row("n1", "sms", attempts=0), row("n2", "sms", 5))})
    first, last = await send_deliveries(deps({"sms": failing}, max_attempts=6), planned)
    assert (first.status, first.attempts, first.error) == ("retrying", 1, "gateway 503")
    assert first.next_attempt_at > NOW
    assert (last.status, last.attempts, last.next_attempt_at) == ("dead", 6, NOW)


async def test_a_refusal_fails_for_good_and_a_channel_bug_loses_nothing() -> None:
    refused = OneByOne(DeliveryError("no such number", retryable=False))
    buggy = OneByOne(RuntimeError("bug"))
    planned = Planned(ready={"sms": ready(row("n1", "sms")), "email": ready(row("n2", "email"))})
    results = await send_deliveries(deps({"sms": refused, "email": buggy}), planned)
    by_id = {r.row.id: r for r in results}
    assert (by_id["n1"].status, by_id["n1"].error) == ("failed", "no such number")
    assert by_id["n2"].status == "retrying"
    assert "bug" in (by_id["n2"].error or "")


async def test_a_batching_channel_gets_batches_of_its_size_with_an_outcome_each() -> None:
    gateway = ManyAtOnce(batch_size=2, rejected=frozenset({"n3"}))
    rows = [row(f"n{i}", "sms") for i in range(1, 6)]
    results = await send_deliveries(deps({"sms": gateway}), Planned(ready={"sms": ready(*rows)}))
    assert sorted(len(call) for call in gateway.calls) == [1, 2, 2]
    assert sorted(i for call in gateway.calls for i in call) == [r.id for r in rows]
    status = {r.row.id: r.status for r in results}
    assert status == {"n1": "sent", "n2": "sent", "n3": "failed", "n4": "sent", "n5": "sent"}
