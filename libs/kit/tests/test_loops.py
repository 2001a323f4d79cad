"""The kit's background loop: rounds, wake-ups, back-off after errors, cancellation."""

from __future__ import annotations

import asyncio

import pytest

from grassroots.kit.loops import Loop


async def test_a_round_that_worked_is_followed_at_once_and_an_idle_one_waits_the_period() -> None:
    calls: list[float] = []
    clock = asyncio.get_running_loop().time

    async def round() -> bool:
        calls.append(clock())
        return len(calls) < 3

    loop = Loop("test", round, period=0.3)
    task = loop.start()
    while len(calls) < 4:
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert calls[2] - calls[0] < 0.25  # two rounds that worked, then the idle third at once
    assert calls[3] - calls[2] >= 0.29  # after the idle third, a period's wait
    assert task.get_name() == "test"


async def test_a_wake_up_cuts_the_idle_wait_short() -> None:
    calls = 0

    async def round() -> bool:
        nonlocal calls
        calls += 1
        return False

    loop = Loop("test", round, period=60)
    task = loop.start()
    await asyncio.sleep(0.05)
    assert calls == 1
    loop.wake()
    await asyncio.sleep(0.05)
    assert calls == 2
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_failures_back_off_doubling_up_to_the_cap_and_a_success_resets_them() -> None:
    loop = Loop("test", lambda: asyncio.sleep(0, True), period=1, error_delay=0.5)
    assert [loop.backoff(n) for n in range(8)] == [0.5, 1, 2, 4, 8, 16, 30, 30]

    outcomes = [RuntimeError("boom"), RuntimeError("again"), True, RuntimeError("later")]
    waits: list[float] = []

    async def round() -> bool:
        outcome = outcomes.pop(0) if outcomes else False
        if isinstance(outcome, Exception):
            raise outcome
        return bool(outcome)

    loop = Loop("test", round, period=0.01, error_delay=0.02, max_error_delay=1)
    original = loop.backoff

    def recorded(failures_before: int) -> float:
        waits.append(original(failures_before))
        return waits[-1]

    loop.backoff = recorded  # type: ignore[method-assign]
    task = loop.start()
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert waits == [0.02, 0.04, 0.02]


async def test_a_stop_during_a_round_or_an_idle_wait_ends_the_loop() -> None:
    started = asyncio.Event()

    async def slow() -> bool:
        started.set()
        await asyncio.sleep(60)
        return True

    busy = Loop("busy", slow, period=1).start()
    await started.wait()
    busy.cancel()
    with pytest.raises(asyncio.CancelledError):
        await busy

    woken = Loop("idle", lambda: asyncio.sleep(0, False), period=60)
    idle = woken.start()
    await asyncio.sleep(0.02)
    # A wake-up arriving together with the stop must not swallow the cancellation.
    woken.wake()
    idle.cancel()
    with pytest.raises(asyncio.CancelledError):
        await idle
    assert idle.cancelled()
