"""Helpers shared by the benchmarks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


def report(name: str, value: float, unit: str = "") -> None:
    """Print one `name=value` line (unit goes in the name, Prometheus style)."""
    text = f"{value:.1f}" if isinstance(value, float) else str(value)
    print(f"{name}={text}" + (f"  # {unit}" if unit else ""), flush=True)


@contextmanager
def stopwatch() -> Iterator[list[float]]:
    """Measure a block: the list holds the elapsed seconds when the block ends."""
    elapsed: list[float] = []
    started = time.perf_counter()
    try:
        yield elapsed
    finally:
        elapsed.append(time.perf_counter() - started)
