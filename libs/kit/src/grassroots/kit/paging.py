"""Cursor paging for list endpoints: `?limit=&cursor=` answering `{items, next_cursor}`.

A cursor is the page's last key as JSON, base64url, plus an HMAC of it under the deployment's
cursor key: opaque to clients, and a cursor not issued here is refused before anything parses
it (so no hostile JSON reaches a decoder). Decoding happens here and nowhere else.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import AfterValidator, BaseModel

from grassroots.kit.problems import Invalid
from grassroots.kit.settings import DEV_JWT_SECRET

T = TypeVar("T")

MAX_CURSOR_CHARS = 512
_TAG_BYTES = 16


def _derive(secret: str) -> bytes:
    return hashlib.sha256(b"grassroots-cursor\0" + secret.encode()).digest()


_key = _derive(DEV_JWT_SECRET)


def use_cursor_secret(secret: str) -> None:
    """Sign and check cursors with `secret` (the composition root calls this once)."""
    global _key
    _key = _derive(secret)


def _tag(payload: bytes) -> bytes:
    return hmac.new(_key, payload, hashlib.sha256).digest()[:_TAG_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode((text + "=" * (-len(text) % 4)).encode())


def encode_cursor(key: Any) -> str:
    """Opaque, signed cursor for the last key of a page."""
    payload = json.dumps(key, separators=(",", ":")).encode()
    return f"{_b64(payload)}.{_b64(_tag(payload))}"


def _verified_payload(cursor: str) -> bytes:
    if len(cursor) > MAX_CURSOR_CHARS or cursor.count(".") != 1:
        raise ValueError("not a cursor this service issued")
    body, tag = cursor.split(".")
    try:
        payload, given = _unb64(body), _unb64(tag)
    except ValueError as exc:
        raise ValueError("not a cursor this service issued") from exc
    if not hmac.compare_digest(given, _tag(payload)):
        raise ValueError("not a cursor this service issued")
    return payload


def check_cursor(cursor: str | None) -> str | None:
    """Validator of the `cursor` query parameter: refuse (422) any cursor not signed here."""
    if cursor is not None:
        _verified_payload(cursor)
    return cursor


Limit = Annotated[int, Query(ge=1, le=500, description="page size (default 50, max 500)")]
Cursor = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_CHARS, description="opaque cursor from the previous page"),
    AfterValidator(check_cursor),
]


class Page(BaseModel, Generic[T]):
    """One page of a list."""

    items: list[T]
    next_cursor: str | None = None


def decode_cursor(cursor: str | None) -> Any:
    """The key a cursor carries, or None; 422 naming `cursor` when it is not ours."""
    if cursor is None:
        return None
    try:
        return json.loads(_verified_payload(cursor))
    except ValueError as exc:
        raise Invalid("cursor", "not a cursor this service issued") from exc
