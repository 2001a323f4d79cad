"""Near-duplicate descriptions: segmentation, fingerprints and ranking (no I/O)."""

from __future__ import annotations

from grassroots.requests.domain.duplicates import (
    STOPWORDS,
    rank_candidates,
    similarity,
    terms,
    words,
)

LAMP = "村东头的路灯坏了三天了，晚上太黑，老人走路不安全"
LAMP_AGAIN = "村东头路灯坏了，晚上很黑，老人走路不安全！"
WELL = "三组的水井干了，吃水困难，希望村里帮忙解决"


def test_words_are_segmented_without_punctuation_or_stop_words() -> None:
    found = words(LAMP)
    assert {"东头", "路灯", "晚上", "老人", "走路"} <= found
    assert not found & STOPWORDS
    assert "，" not in found


def test_the_same_matter_in_other_words_reads_alike_and_another_matter_does_not() -> None:
    assert similarity(terms(LAMP), terms(LAMP_AGAIN)) >= 0.6
    assert similarity(terms(LAMP), terms(WELL)) < 0.2


def test_fingerprints_hide_the_words_and_fit_a_signed_64_bit_integer() -> None:
    prints = terms(LAMP)
    assert prints == sorted(set(prints))
    assert all(0 <= p < 2**63 for p in prints)
    assert "路灯" not in str(prints)


def test_candidates_are_ranked_best_first_above_the_threshold() -> None:
    mine = terms(LAMP)
    others = [
        ("r-well", terms(WELL)),
        ("r-lamp", terms(LAMP_AGAIN)),
        ("r-same", mine),
        ("r-old", None),
    ]
    ranked = rank_candidates(mine, others, threshold=0.5)
    assert [c.request_id for c in ranked] == ["r-same", "r-lamp"]
    assert ranked[0].similarity == 1.0
    assert rank_candidates([], others) == []
