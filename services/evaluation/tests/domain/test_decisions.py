"""Propose, then decide once."""

from __future__ import annotations

import pytest

from grassroots.evaluation.domain.decisions import OUTCOMES, AlreadyDecided, decided_status


@pytest.mark.parametrize("decision", sorted(OUTCOMES))
def test_an_open_item_takes_the_decision_given(decision: str) -> None:
    assert decided_status("pending", decision, open_status="pending") == OUTCOMES[decision]


@pytest.mark.parametrize("status", ["approved", "rejected", "upheld", "dismissed"])
def test_a_decided_item_is_not_decided_again(status: str) -> None:
    with pytest.raises(AlreadyDecided) as refused:
        decided_status(status, "approve", open_status="proposed")
    assert refused.value.status == status
    assert str(refused.value) == f"already {status}"
