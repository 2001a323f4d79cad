"""Near-duplicate requests: Chinese descriptions segmented into words and compared as sets."""

from __future__ import annotations

import hashlib
import logging
import threading
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import jieba

# Requests older than this are not proposed as duplicates (a new report of an old matter is news).
DUPLICATE_WINDOW = timedelta(days=30)
# Word-set Jaccard similarity from which two descriptions are proposed as the same matter.
DEFAULT_THRESHOLD = 0.5

# Function words and fillers that say nothing about the matter itself.
_STOPWORD_TEXT = """
的 了 是 在 我 我们 你 你们 他 她 它 这 那 这个 那个 有 和 与 及 也 都 就 还 又 很 太
非常 比较 一下 一个 请 麻烦 帮 帮忙 帮助 希望 能 能够 可以 要 想 给 把 被 让 对 从 到
吗 呢 吧 啊 呀 哦 嗯 已经 现在 一直 总是 问题 情况 反映 谢谢
"""
STOPWORDS = frozenset(_STOPWORD_TEXT.split())

_init_lock = threading.Lock()
_initialised = False


def warm_up() -> None:
    """Load the segmentation dictionary once (about a second); later calls return at once."""
    global _initialised
    with _init_lock:
        if not _initialised:
            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _initialised = True


def _is_word(token: str) -> bool:
    return any(unicodedata.category(ch)[0] in "LN" for ch in token)


def words(description: str) -> set[str]:
    """The meaningful words of a description (jieba segmentation, no stop words or punctuation)."""
    warm_up()
    text = unicodedata.normalize("NFKC", description).lower()
    return {t for t in (w.strip() for w in jieba.lcut(text)) if t and _is_word(t)} - STOPWORDS


def _fingerprint(word: str) -> int:
    # 63 bits: fits a signed 64-bit integer in JSON and PostgreSQL alike.
    return int.from_bytes(hashlib.blake2b(word.encode(), digest_size=8).digest(), "big") >> 1


def terms(description: str) -> list[int]:
    """The description's word fingerprints, sorted: the index keeps these, never the words."""
    return sorted({_fingerprint(w) for w in words(description)})


def similarity(a: Iterable[int], b: Iterable[int]) -> float:
    """Jaccard similarity of two fingerprint sets (0 when both are empty)."""
    left, right = set(a), set(b)
    union = len(left | right)
    return len(left & right) / union if union else 0.0


@dataclass(frozen=True)
class Candidate:
    """An earlier open request that may be the same matter."""

    request_id: str
    similarity: float


def rank_candidates(
    new_terms: list[int],
    others: Iterable[tuple[str, list[int] | None]],
    *,
    threshold: float = DEFAULT_THRESHOLD,
    limit: int = 10,
) -> list[Candidate]:
    """The most similar of `others` (id, fingerprints) at or above `threshold`, best first."""
    mine = set(new_terms)
    if not mine:
        return []
    found = []
    for request_id, their_terms in others:
        score = similarity(mine, their_terms or ())
        if score >= threshold:
            found.append(Candidate(request_id, round(score, 3)))
    found.sort(key=lambda c: (-c.similarity, c.request_id))
    return found[:limit]
