"""What a password must be: long enough, not a common one, not the username."""

from __future__ import annotations

import itertools
from functools import cache
from importlib.resources import files

from grassroots.portal.domain.errors import BadField


@cache
def common_passwords() -> frozenset[str]:
    """The bundled list of passwords people pick most (lower case)."""
    text = files("grassroots.portal.domain").joinpath("common_passwords.txt").read_text("utf-8")
    return frozenset(line.strip().lower() for line in text.splitlines() if line.strip())


def _is_run(password: str) -> bool:
    """One character repeated, or a straight run up or down (aaaaaaaa, 12345678, zyxwvuts)."""
    steps = {ord(b) - ord(a) for a, b in itertools.pairwise(password)}
    return len(steps) == 1 and steps <= {-1, 0, 1}


def check_password(password: str, *, username: str, min_length: int) -> None:
    """Raise a 422 naming `password` unless the password may be used."""
    if len(password) < min_length:
        raise BadField("password", f"at least {min_length} characters (密码至少 {min_length} 位)")
    lowered = password.lower()
    if lowered in common_passwords() or _is_run(password):
        raise BadField("password", "a common password; choose another (密码过于常见)")
    if username and username.lower() in lowered:
        raise BadField("password", "must not contain the username (密码不能包含用户名)")
