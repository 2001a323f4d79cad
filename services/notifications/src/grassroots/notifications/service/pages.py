"""Paging of the list use cases: a page of rows and the cursor of the next one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from grassroots.kit.paging import decode_cursor, encode_cursor


def after_key(cursor: str | None) -> str | None:
    """The key a cursor this service issued points after (None on the first page)."""
    after = decode_cursor(cursor)
    return None if after is None else str(after)


def page_of(
    rows: Sequence[Any], limit: int, key: Callable[[Any], Any] = lambda item: item.id
) -> tuple[list[Any], str | None]:
    """The first `limit` rows of a read of `limit + 1`, and the next page's cursor if any."""
    items = list(rows[:limit])
    more = len(rows) > limit
    return items, encode_cursor(key(items[-1])) if more else None
