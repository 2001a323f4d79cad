"""How personal data is shown masked: phones and names (one format for every service)."""

from __future__ import annotations

from typing import overload


@overload
def mask_phone(phone: str) -> str: ...
@overload
def mask_phone(phone: str | None) -> str | None: ...
def mask_phone(phone: str | None) -> str | None:
    """`138****5678`: the first three and last four digits; seven or fewer: the last two."""
    if phone is None:
        return None
    digits = phone.strip()
    if len(digits) <= 2:
        return "*" * len(digits)
    if len(digits) <= 7:
        return "*" * (len(digits) - 2) + digits[-2:]
    return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]


@overload
def mask_name(name: str) -> str: ...
@overload
def mask_name(name: str | None) -> str | None: ...
def mask_name(name: str | None) -> str | None:
    """`张*` for `张三`, `王**` for `王小明`: the first character only."""
    if not name:
        return name
    return name[0] + "*" * max(1, len(name) - 1)
