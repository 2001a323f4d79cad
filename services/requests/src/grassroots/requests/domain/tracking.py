"""Tracking codes citizens read out on the phone: short, unguessable, no look-alike letters."""

from __future__ import annotations

import re
import secrets

# Crockford's base32 without I, L, O, U: nothing to confuse with 1, 0 or V when spoken.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
GROUPS, GROUP_LENGTH = 2, 5  # 10 symbols = 50 random bits, e.g. "7KQ2M-XH9TD"
_CODE = re.compile(
    rf"^[{ALPHABET}]{{{GROUP_LENGTH}}}(-[{ALPHABET}]{{{GROUP_LENGTH}}}){{{GROUPS - 1}}}$"
)
_READ_AS = str.maketrans({"I": "1", "L": "1", "O": "0", "U": "V"})


def new_tracking_code() -> str:
    """A fresh random code of two groups of five symbols."""
    # 32 symbols: each random byte's low five bits pick one, uniformly.
    symbols = "".join(ALPHABET[b & 31] for b in secrets.token_bytes(GROUPS * GROUP_LENGTH))
    return "-".join(
        symbols[i : i + GROUP_LENGTH] for i in range(0, GROUPS * GROUP_LENGTH, GROUP_LENGTH)
    )


def normalise_tracking_code(raw: str) -> str | None:
    """The canonical code for what a citizen typed (any case, spaces, look-alikes), or None."""
    compact = re.sub(r"[\s\-]", "", raw.upper()).translate(_READ_AS)
    if len(compact) != GROUPS * GROUP_LENGTH:
        return None
    code = "-".join(compact[i : i + GROUP_LENGTH] for i in range(0, len(compact), GROUP_LENGTH))
    return code if _CODE.match(code) else None
