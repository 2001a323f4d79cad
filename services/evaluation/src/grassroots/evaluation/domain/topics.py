"""Recurring problems (每月一题): similar requests across villages in a month, grouped.

Method (pure, no I/O; the words come segmented by jieba when a request is projected):
1. A request is its set of content words plus two features: its service item and its
   township. Words in fewer than `min_size` requests or in more than `max_share` of them
   carry nothing that recurs (noise, or filler every request has) and are dropped.
2. Seeds: word pairs that recur in at least `min_size` requests and occur together far more
   often than chance (lift ≥ `min_lift`, or nearly always together), strongest first; a
   seed whose requests mostly reach a stronger seed's centroid joins it.
3. Grouping by similarity: each request joins the seed whose centroid (TF-IDF of its
   requests' words and features) it is most similar to, if the cosine reaches `threshold`.
4. A group is a recurring problem when it has at least `min_size` requests in at least
   `min_villages` villages; its trend counts the requests of earlier months that the same
   test assigns to it.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

# Filler of petitions that says nothing about the problem itself.
STOP_WORDS = frozenset(
    [
        "希望",
        "尽快",
        "解决",
        "反映",
        "问题",
        "请求",
        "帮忙",
        "处理",
        "村民",
        "群众",
        "我们",
        "你们",
        "他们",
        "现在",
        "已经",
        "一直",
        "没有",
        "情况",
        "相关",
        "部门",
        "有关",
        "这个",
        "那个",
        "一下",
        "一些",
        "非常",
        "特别",
        "比较",
        "还是",
        "就是",
        "但是",
        "因为",
        "所以",
        "如果",
        "可以",
        "能够",
        "需要",
        "要求",
        "进行",
        "及时",
        "麻烦",
        "谢谢",
        "大家",
        "自己",
        "什么",
        "怎么",
        "为什么",
        "这样",
        "那样",
        "多次",
        "好几",
        "今天",
        "昨天",
        "最近",
        "时候",
        "目前",
        "一个",
        "不能",
        "不是",
        "影响",
        "造成",
        "导致",
        "存在",
        "出现",
        "发现",
        "本人",
        "家里",
        "家中",
    ]
)
_CONTENT = re.compile(r"^[\u4e00-\u9fff]{2,}$|^[a-zA-Z]{3,}$")


def content_words(segmented: Iterable[str]) -> frozenset[str]:
    """The words of a segmented text that can name a problem (no filler, digits, punctuation)."""
    return frozenset(w for w in segmented if _CONTENT.match(w) and w not in STOP_WORDS)


def segment(text: str) -> list[str]:
    """Chinese text cut into words by jieba (its dictionary loads once, on first use)."""
    import jieba  # type: ignore[import-untyped]  # imported here: it costs a second to load

    return [w for w in jieba.lcut(text, HMM=False) if w.strip()]


@dataclass(frozen=True)
class TopicRequest:
    """One request as topic mining sees it: no personal data, only masked text."""

    request_id: str
    words: frozenset[str]
    service_code: str
    village: str  # 12-digit area code where it was raised
    example: str = ""  # the masked description

    @property
    def township(self) -> str:
        """The township part of the area code."""
        return self.village[:9]


@dataclass(frozen=True)
class TopicRules:
    """The knobs of the method (defaults tuned on the synthetic month in the tests)."""

    min_size: int = 10
    min_villages: int = 3
    max_share: float = 0.8
    min_lift: float = 4.0
    threshold: float = 0.35
    merge_threshold: float = 0.5
    max_topics: int = 20
    examples: int = 3
    feature_weight: float = 0.7


@dataclass
class Topic:
    """A group of similar requests in one month."""

    id: str
    title: str
    keywords: list[str]
    service_code: str
    size: int
    villages: list[str]
    request_ids: list[str]
    examples: list[str]
    trend: list[dict[str, object]] = field(default_factory=list)


Vector = dict[str, float]


class _Space:
    """TF-IDF weights of the month: idf of each kept word, plus the two features."""

    def __init__(self, docs: Sequence[TopicRequest], rules: TopicRules) -> None:
        self.rules = rules
        df = Counter(w for d in docs for w in d.words)
        n = max(1, len(docs))
        top = rules.max_share * n
        self.idf = {w: math.log(n / c) for w, c in df.items() if rules.min_size <= c <= max(top, 1)}
        self.df = df
        self.n = n

    def kept(self, doc: TopicRequest) -> list[str]:
        return sorted(w for w in doc.words if w in self.idf)

    def vector(self, doc: TopicRequest) -> Vector:
        idf = self.idf
        vec = {w: idf[w] for w in doc.words if w in idf}
        if not vec:
            return {}
        weight = self.rules.feature_weight * max(vec.values())
        vec[f"svc:{doc.service_code}"] = weight
        vec[f"town:{doc.township}"] = weight / 2
        norm = math.sqrt(sum(v * v for v in vec.values()))
        return {k: v / norm for k, v in vec.items()}


def _cosine(a: Vector, b: Vector) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(v * b.get(k, 0.0) for k, v in a.items())


def _centroid(vectors: Iterable[Vector]) -> Vector:
    total: dict[str, float] = defaultdict(float)
    for vec in vectors:
        for k, v in vec.items():
            total[k] += v
    norm = math.sqrt(sum(v * v for v in total.values())) or 1.0
    return {k: v / norm for k, v in total.items()}


def _seeds(docs: Sequence[TopicRequest], space: _Space) -> list[set[int]]:
    """Requests behind each recurring, strongly associated word pair, merged when they overlap."""
    rules = space.rules
    pairs: Counter[tuple[str, str]] = Counter()
    kept = [space.kept(d) for d in docs]
    for words in kept:
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                pairs[(a, b)] += 1
    strong = []
    for (a, b), count in pairs.items():
        if count < rules.min_size:
            continue
        lift = count * space.n / (space.df[a] * space.df[b])
        # In a small month one problem can be a third of all requests, where no pair can
        # beat chance fourfold: words that nearly always come together count as well.
        together = count >= 0.8 * min(space.df[a], space.df[b]) and lift > 1.0
        if lift >= rules.min_lift or together:
            strong.append((count * math.log(max(lift, 1.5)), a, b))
    strong.sort(reverse=True)
    wanted = {(a, b) for _, a, b in strong}
    holders: dict[tuple[str, str], set[int]] = defaultdict(set)
    for index, words in enumerate(kept):
        for i, a in enumerate(words):
            for b in words[i + 1 :]:
                if (a, b) in wanted:
                    holders[(a, b)].add(index)
    seeds: list[set[int]] = []
    for _, a, b in strong:
        members = holders[(a, b)]
        for seed in seeds:
            if len(members & seed) >= 0.5 * len(members):
                seed |= members
                break
        else:
            if len(seeds) < 4 * rules.max_topics:
                seeds.append(set(members))
    return seeds


def _topic_id(month: str, keywords: Sequence[str], service_code: str) -> str:
    key = f"{month}|{service_code}|{'/'.join(sorted(keywords[:3]))}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def find_topics(
    month: str,
    docs: Sequence[TopicRequest],
    earlier: Mapping[str, Sequence[TopicRequest]] | None = None,
    rules: TopicRules | None = None,
) -> list[Topic]:
    """The month's recurring problems, largest first, with their trend over earlier months."""
    rules = rules or TopicRules()
    docs = sorted(docs, key=lambda d: d.request_id)
    space = _Space(docs, rules)
    vectors = [space.vector(d) for d in docs]
    centroids = _merged_centroids(_seeds(docs, space), vectors, rules)
    groups = _assign(vectors, centroids, rules.threshold)
    found: list[tuple[Topic, Vector]] = []
    for index, members in groups.items():
        villages = sorted({docs[i].village for i in members})
        if len(members) < rules.min_size or len(villages) < rules.min_villages:
            continue
        centroid = centroids[index]
        keywords = [k for k, _ in sorted(centroid.items(), key=lambda kv: -kv[1]) if ":" not in k]
        service = Counter(docs[i].service_code for i in members).most_common(1)[0][0]
        closest = sorted(members, key=lambda i: -_cosine(vectors[i], centroid))
        topic = Topic(
            id=_topic_id(month, keywords, service),
            title=suggest_title(keywords),
            keywords=keywords[:5],
            service_code=service,
            size=len(members),
            villages=villages,
            request_ids=sorted(docs[i].request_id for i in members),
            examples=[docs[i].example for i in closest if docs[i].example][: rules.examples],
        )
        found.append((topic, centroid))
    found.sort(key=lambda tc: (-tc[0].size, tc[0].id))
    found = found[: rules.max_topics]
    # A request of an earlier month that shares no word with any topic cannot reach one:
    # only the others are weighed (most of a month is about something else).
    topic_words = {k for _, c in found for k in c if ":" not in k}
    for earlier_month, earlier_docs in sorted((earlier or {}).items()):
        near = [space.vector(d) for d in earlier_docs if not topic_words.isdisjoint(d.words)]
        counts = _assign(near, [c for _, c in found], rules.threshold)
        for index, (topic, _) in enumerate(found):
            topic.trend.append({"period": earlier_month, "size": len(counts.get(index, []))})
    return [topic for topic, _ in found]


def _merged_centroids(
    seeds: Sequence[set[int]], vectors: Sequence[Vector], rules: TopicRules
) -> list[Vector]:
    """One centroid per problem: a seed whose requests mostly already reach a stronger seed's
    centroid (路灯+走路 beside 路灯+晚上), or whose centroid is close to it, joins that one."""
    kept: list[list[int]] = []
    centroids: list[Vector] = []
    for seed in seeds:
        members = sorted(seed)
        centroid = _centroid(vectors[i] for i in members)
        target = -1
        for k, other in enumerate(centroids):
            reached = sum(_cosine(vectors[i], other) >= rules.threshold for i in members)
            if reached >= 0.5 * len(members) or _cosine(centroid, other) >= rules.merge_threshold:
                target = k
                break
        if target < 0:
            kept.append(members)
            centroids.append(centroid)
        else:
            kept[target] = sorted(set(kept[target]) | seed)
            centroids[target] = _centroid(vectors[i] for i in kept[target])
    return centroids


def _assign(
    vectors: Sequence[Vector], centroids: Sequence[Vector], threshold: float
) -> dict[int, list[int]]:
    """Each request to its most similar centroid at or above the threshold."""
    index: dict[str, list[int]] = defaultdict(list)
    for c, centroid in enumerate(centroids):
        for key in centroid:
            if ":" not in key:
                index[key].append(c)
    groups: dict[int, list[int]] = defaultdict(list)
    for i, vec in enumerate(vectors):
        candidates = {c for key in vec for c in index.get(key, ())}
        best, best_sim = -1, threshold
        for c in sorted(candidates):
            sim = _cosine(vec, centroids[c])
            if sim >= best_sim:
                best, best_sim = c, sim
        if best >= 0:
            groups[best].append(i)
    return groups


def suggest_title(keywords: Sequence[str]) -> str:
    """A title from the group's strongest words, e.g. 路灯不亮问题."""
    return "".join(keywords[:2]) + "问题" if keywords else "未命名问题"
