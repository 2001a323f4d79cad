"""What every use case of the members service is given, built once in `main.py`."""

from __future__ import annotations

from dataclasses import dataclass

from grassroots.kit.outbox import Outbox
from grassroots.kit.sealing import KeyRing


@dataclass(frozen=True)
class Deps:
    """The outbox (the one door for events), the key ring, and the areas this deployment serves."""

    outbox: Outbox
    cipher: KeyRing
    deployment_prefix: str = ""
