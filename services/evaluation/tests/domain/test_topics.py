"""Recurring problems: the five problems planted in a synthetic month of 2,000 are found."""

from __future__ import annotations

from collections import Counter

from grassroots.evaluation.domain.topics import (
    TopicRequest,
    content_words,
    find_topics,
    segment,
    suggest_title,
)
from grassroots.evaluation.synthetic import PLANTED, synthetic_month
from grassroots.kit.masking import mask_free_text


def requests_of(month: list[tuple[str, str, str, str, str]]) -> list[TopicRequest]:
    return [
        TopicRequest(rid, content_words(segment(text)), code, village, mask_free_text(text))
        for rid, _, code, village, text in month
    ]


def test_the_planted_problems_are_found_with_precision_and_recall() -> None:
    month = synthetic_month()
    assert len(month) == 2000
    truth = {rid: problem for rid, problem, *_ in month}
    topics = find_topics("2026-11", requests_of(month))
    majority = [Counter(truth[r] for r in t.request_ids).most_common(1)[0] for t in topics]
    right = [problem for problem, _ in majority if problem != "noise"]
    precision = len(right) / len(topics)
    recall = len(set(right)) / len(PLANTED)
    sizes = Counter(problem for _, problem, *_ in month)
    found = {}
    for topic, (problem, hits) in zip(topics, majority, strict=True):
        if problem != "noise" and problem not in found:
            found[problem] = (hits / topic.size, hits / sizes[problem])
    print(
        f"\ntopics={len(topics)} precision={precision:.2f} recall={recall:.2f} "
        + " ".join(f"{p}:P={pr:.2f},R={rc:.2f}" for p, (pr, rc) in sorted(found.items()))
    )
    assert recall == 1.0
    assert precision >= 0.7
    # The largest group of each planted problem holds mostly that problem's requests.
    assert all(pr >= 0.9 and rc >= 0.7 for pr, rc in found.values())
    streetlight = next(t for t, (p, _) in zip(topics, majority, strict=True) if p == "streetlight")
    assert "路灯" in streetlight.title and len(streetlight.villages) >= 3
    assert all("路灯" in e or "灯" in e for e in streetlight.examples)


def test_noise_alone_gives_no_topic() -> None:
    noise = [row for row in synthetic_month() if row[1] == "noise"]
    assert find_topics("2026-11", requests_of(noise)) == []


def test_the_trend_counts_the_problem_in_earlier_months() -> None:
    month = synthetic_month()
    earlier = synthetic_month(planted_each=(20, 0, 0, 0, 0), seed=3, prefix="old")
    topics = find_topics("2026-11", requests_of(month), {"2026-10": requests_of(earlier)})
    streetlight = next(t for t in topics if "路灯" in t.keywords)
    before = streetlight.trend[0]
    assert before["period"] == "2026-10" and 14 <= int(str(before["size"])) <= 20
    water = next(t for t in topics if "停水" in t.keywords)
    assert water.trend[0]["size"] == 0


def test_a_title_names_the_strongest_words() -> None:
    assert suggest_title(["路灯", "不亮", "晚上"]) == "路灯不亮问题"
