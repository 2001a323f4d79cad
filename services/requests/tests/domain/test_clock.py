"""The SLA clock: pauses, extensions, upheld returns and holidays, replayed on any calendar."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from grassroots.contracts.timezone import platform_zone
from grassroots.requests.domain.calendar import WorkCalendar, due_at
from grassroots.requests.domain.clock import (
    ClockStep,
    Pause,
    Refund,
    Resume,
    SetDue,
    Start,
    add_working_time,
    details_of,
    replay,
    step_from_details,
    working_time,
)

# 2031 has no published holidays, so an operator's list is the whole truth for it:
# Monday 2031-03-03 starts a plain week; Wednesday 2031-03-12 is made a holiday below.
CHINA = platform_zone()
PLAIN = WorkCalendar({date(2031, 1, 1): False})
WITH_HOLIDAY = WorkCalendar({date(2031, 1, 1): False, date(2031, 3, 12): False})
H = timedelta(hours=1)
D = timedelta(days=1)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2031, 3, day, hour, minute, tzinfo=CHINA)


def test_a_limit_alone_is_the_plain_due_time() -> None:
    clock = replay([Start(local(3, 9), 2 * D, "workdays")], PLAIN)
    assert clock.due_at == due_at(local(3, 9), 2 * D, "workdays", PLAIN)
    assert clock.due_at == local(5, 9)
    # The reminder falls due when 80 % of the limit is used.
    assert clock.chase_at == local(4, 23, 24)


def test_a_pause_stops_the_clock_and_the_rest_day_does_not_count() -> None:
    # Two working days from Monday 09:00; paused on Monday 15:00 with 42 hours left;
    # resumed on Friday 10:00: 14 h on Friday, the weekend is skipped, 28 h from Monday.
    clock = replay(
        [Start(local(3, 9), 2 * D, "workdays"), Pause(local(3, 15)), Resume(local(7, 10))],
        PLAIN,
    )
    assert clock.due_at == local(11, 4)
    assert not clock.paused


def test_while_paused_the_clock_has_no_running_due_time_to_breach() -> None:
    clock = replay([Start(local(3, 9), 1 * D, "workdays"), Pause(local(3, 10))], PLAIN)
    assert clock.paused
    assert clock.left == 23 * H


def test_an_approved_extension_moves_the_due_time_and_a_later_pause_shifts_it() -> None:
    clock = replay(
        [
            Start(local(3, 9), 1 * D, "workdays"),
            SetDue(local(4, 8), local(6, 18)),
            Pause(local(5, 18)),
            Resume(local(6, 18)),
        ],
        PLAIN,
    )
    # 24 h were left at the pause; resumed Thursday 18:00 → Friday 18:00.
    assert clock.due_at == local(7, 18)


def test_time_held_before_an_upheld_return_does_not_count() -> None:
    # Dispatched Monday 10:00, returned 12:00, upheld 14:00: two hours come back.
    clock = replay(
        [
            Start(local(3, 9), 1 * D, "workdays"),
            Refund(local(3, 14), held_from=local(3, 10), held_to=local(3, 12)),
        ],
        PLAIN,
    )
    assert clock.due_at == local(4, 11)


def test_a_holiday_is_skipped_and_a_calendar_change_recomputes_from_the_same_history() -> None:
    steps: list[ClockStep] = [
        Start(local(10, 9), 2 * D, "workdays"),
        Pause(local(10, 12)),
        Resume(local(10, 15)),
        Refund(local(10, 17), held_from=local(10, 15), held_to=local(10, 16)),
    ]
    before = replay(steps, PLAIN)
    after = replay(steps, WITH_HOLIDAY)
    # 3 h paused + 1 h refunded on top of two days from Monday 09:00.
    assert before.due_at == local(12, 13)
    # Wednesday becomes a holiday: the same history now ends on Thursday.
    assert after.due_at == local(13, 13)
    assert working_time(local(10, 9), after.due_at, "workdays", WITH_HOLIDAY) == 2 * D + 4 * H


def test_the_natural_calendar_counts_every_hour() -> None:
    clock = replay(
        [Start(local(7, 9), 4 * H, "natural"), Pause(local(7, 10)), Resume(local(8, 10))],
        WITH_HOLIDAY,
    )
    assert clock.due_at == local(8, 13)


instants = st.datetimes(
    min_value=datetime(2031, 3, 1), max_value=datetime(2031, 4, 30), timezones=st.just(CHINA)
)
spans = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=10))


@given(instants, spans)
def test_adding_working_time_and_measuring_it_agree(start: datetime, amount: timedelta) -> None:
    end = add_working_time(start, amount, "workdays", WITH_HOLIDAY)
    assert working_time(start, end, "workdays", WITH_HOLIDAY) == amount


@given(instants, spans, spans, spans)
def test_a_pause_gives_back_exactly_the_working_time_it_covered(
    start: datetime, limit: timedelta, before_pause: timedelta, paused_for: timedelta
) -> None:
    paused_at = start + before_pause
    resumed_at = paused_at + paused_for
    plain = replay([Start(start, limit, "workdays")], WITH_HOLIDAY)
    clock = replay(
        [Start(start, limit, "workdays"), Pause(paused_at), Resume(resumed_at)], WITH_HOLIDAY
    )
    assert plain.due_at is not None and clock.due_at is not None
    if plain.due_at > paused_at:
        counted = working_time(start, clock.due_at, "workdays", WITH_HOLIDAY)
        given_back = working_time(paused_at, resumed_at, "workdays", WITH_HOLIDAY)
        assert counted == limit + given_back
    else:
        # Already past its due time when paused: resuming leaves it due at once.
        assert clock.due_at == resumed_at


@given(instants, spans, spans, spans)
def test_a_refund_matches_a_pause_over_the_held_span(
    start: datetime, limit: timedelta, held_after: timedelta, held_for: timedelta
) -> None:
    held_from = start + held_after
    held_to = held_from + held_for
    plain = replay([Start(start, limit, "workdays")], WITH_HOLIDAY)
    assert plain.due_at is not None
    refunded = replay(
        [Start(start, limit, "workdays"), Refund(held_to, held_from, held_to)], WITH_HOLIDAY
    )
    assert refunded.due_at is not None
    counted = working_time(start, refunded.due_at, "workdays", WITH_HOLIDAY)
    assert counted == limit + working_time(held_from, held_to, "workdays", WITH_HOLIDAY)


@given(st.lists(st.sampled_from(["pause", "resume", "extend"]), max_size=12), instants, spans)
def test_any_history_replays_to_a_due_time_never_before_the_start(
    kinds: list[str], start: datetime, limit: timedelta
) -> None:
    steps: list[Start | Pause | Resume | SetDue] = [Start(start, limit, "workdays")]
    at = start
    for kind in kinds:
        at += timedelta(hours=5)
        if kind == "pause":
            steps.append(Pause(at))
        elif kind == "resume":
            steps.append(Resume(at))
        else:
            steps.append(SetDue(at, at + 2 * D))
    clock = replay(steps, WITH_HOLIDAY)
    assert clock.due_at is not None and clock.due_at >= start
    assert clock.chase_at is not None and clock.chase_at <= clock.due_at


def test_every_step_survives_its_history_details() -> None:
    at = local(3, 9)
    for entry in (
        Start(at, 2 * D + 3 * H, "workdays"),
        Start(at, 4 * H, "natural"),
        SetDue(at, local(6, 18)),
        Pause(at),
        Resume(at),
        Refund(at, held_from=local(3, 10), held_to=local(3, 12)),
    ):
        assert step_from_details(at, json.loads(json.dumps(details_of(entry)))) == entry
    assert step_from_details(at, None) is None
    assert step_from_details(at, {"note": "no clock step"}) is None
