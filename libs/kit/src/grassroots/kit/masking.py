"""How personal data is shown masked: phones and names (one format for every service)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import overload

# Seven digits or more (phones, ID and bank card numbers), separators allowed, an ID's final X.
_LONG_NUMBER = re.compile(r"\d(?:[\d\s-]{5,}\d)[\dXx]?")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


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


def mask_free_text(text: str, names: Iterable[str | None] = ()) -> str:
    """Free text with what identifies a person masked: the given names (e.g. the citizen's
    own), long numbers (phones, ID and card numbers) and e-mail addresses.

    Other people's names typed into the text cannot be recognised reliably and stay.
    """
    masked = text
    for name in names:
        if name and len(name.strip()) >= 2:
            masked = masked.replace(name.strip(), mask_name(name.strip()))
    masked = _EMAIL.sub("***@***", masked)
    return _LONG_NUMBER.sub(lambda match: "*" * len(match.group()), masked)
