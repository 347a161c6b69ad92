"""Working-day clocks (issue 7, point 7): the due date, the days left, the share used and the state of a
time limit in working days that stops while the case waits (补正, special procedures).

Facts of 2026 (国办 notice, as in the package and tests/core/test_workdays.py): Spring Festival 15–23 Feb
off, Saturdays 14 and 28 Feb worked; National Day 1–7 Oct off, Sunday 20 Sep and Saturday 10 Oct worked.
The clock's rules are in the docstring of tongcheng/kit/clock.py."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tongcheng.core.workdays import PACKAGE_CALENDAR, Calendar, OutsideCalendar
from tongcheng.kit.clock import Clock, ClockState, Pause, clock

D = dt.date
T = dt.datetime
CAL = PACKAGE_CALENDAR
BEIJING = ZoneInfo("Asia/Shanghai")
UTC = ZoneInfo("UTC")


# --- examples: the 2026 Spring Festival -----------------------------------------------------------------


def test_without_pauses_the_due_date_is_add_workdays_and_counts_the_adjusted_saturday():
    """Given a case received on Friday 13 Feb 2026 with 5 working days, then the days are Sat 14 (调休),
    24, 25, 26 and 27 Feb: the clock is due at the end of Friday 27 Feb."""
    c = Clock(T(2026, 2, 13, 10, 0), 5, CAL)
    assert c.due_date() == D(2026, 2, 27) == CAL.add_workdays(D(2026, 2, 13), 5)
    assert c.due() == T(2026, 2, 27, 23, 59, 59, 999999)
    assert c.remaining(T(2026, 2, 13, 17, 0)) == 5  # the starting day is not counted
    assert c.remaining(T(2026, 2, 14, 9, 0)) == 4  # the adjusted Saturday is
    assert c.remaining(T(2026, 2, 20, 9, 0)) == 4  # the holiday is not
    assert c.remaining(T(2026, 2, 27, 9, 0)) == 0
    assert c.state(T(2026, 2, 27, 23, 59)) == ClockState.RUNNING
    assert c.state(T(2026, 2, 28, 0, 0)) == ClockState.OVERDUE
    assert c.remaining(T(2026, 2, 28, 9, 0)) == -1  # Saturday 28 Feb is worked: one day overdue


def test_a_supplement_pause_extends_the_due_date_by_the_working_days_it_covers():
    """Given the same case, when the clock stops for 补正 from Saturday 14 Feb to Tuesday 24 Feb, then the
    covered days are 15–24 Feb, of which only Tue 24 Feb is a working day: the due date moves one working
    day, from Fri 27 Feb to Sat 28 Feb (an adjusted working Saturday)."""
    c = Clock(T(2026, 2, 13, 10), 5, CAL, (Pause(T(2026, 2, 14, 9), T(2026, 2, 24, 15), "supplement"),))
    assert c.due_date() == D(2026, 2, 28)
    assert c.used(T(2026, 2, 24, 16)) == 1  # Sat 14 Feb, the day the pause began, counts
    assert c.state(T(2026, 2, 20, 12)) == ClockState.PAUSED
    assert c.state(T(2026, 2, 24, 15)) == ClockState.RUNNING  # the pause has ended at 15:00
    assert c.share_used(T(2026, 2, 26, 12)) == 3 * 10_000 // 5  # 14, 25, 26 Feb used


def test_a_pause_within_one_working_day_changes_nothing():
    """Given a pause that begins and ends on Tuesday 24 Feb, then it covers no day: that day counts once and
    the due date stays Friday 27 Feb; while it lasts the state is paused."""
    c = Clock(T(2026, 2, 13, 10), 5, CAL, (Pause(T(2026, 2, 24, 9), T(2026, 2, 24, 16)),))
    assert c.due_date() == D(2026, 2, 27)
    assert c.used(T(2026, 2, 24, 17)) == 2
    assert c.state(T(2026, 2, 24, 10)) == ClockState.PAUSED


def test_an_open_pause_holds_the_days_left_and_moves_the_due_date_day_by_day():
    """Given a pause from Wednesday 25 Feb that has not ended, then on Tuesday 3 Mar 3 days are used
    (14, 24, 25 Feb), 2 remain, the clock is paused and would be due on Thursday 5 Mar if it restarted now;
    a day later it would be due a working day later."""
    c = Clock(T(2026, 2, 13, 10), 5, CAL).pause(T(2026, 2, 25, 10), "supplement")
    now = T(2026, 3, 3, 11)
    assert (c.used(now), c.remaining(now), c.state(now)) == (3, 2, ClockState.PAUSED)
    assert c.due_date(now) == D(2026, 3, 5)
    assert c.due_date(T(2026, 3, 4, 11)) == D(2026, 3, 6)
    resumed = c.resume(T(2026, 3, 3, 16))
    assert resumed.due_date() == D(2026, 3, 5) and resumed.state(T(2026, 3, 4, 9)) == ClockState.RUNNING
    with pytest.raises(ValueError, match="open pause"):
        c.due_date()  # an open pause needs the moment


def test_a_pause_after_the_limit_is_used_up_does_not_revive_it():
    """Given a pause that begins on the due date, then the due date stays and the clock is overdue the next
    day although it is paused (the pause covers only days after the limit)."""
    c = Clock(T(2026, 2, 13, 10), 5, CAL).pause(T(2026, 2, 27, 16))
    assert c.due_date(T(2026, 3, 2, 9)) == D(2026, 2, 27)
    assert c.state(T(2026, 2, 27, 17)) == ClockState.PAUSED
    assert c.state(T(2026, 3, 2, 9)) == ClockState.OVERDUE


# --- examples: National Day 2026 ------------------------------------------------------------------------


def test_national_day_with_a_pause_over_the_adjusted_saturday():
    """Given a case received on Wednesday 30 Sep 2026 with 15 working days, then it is due on Tuesday 27 Oct
    (1–7 Oct off, Sat 10 Oct worked); a 补正 from Friday 9 Oct to Monday 12 Oct covers Sat 10 Oct (worked)
    and Mon 12 Oct: two working days, so it is due two working days later, on Thursday 29 Oct."""
    plain = Clock(T(2026, 9, 30, 9), 15, CAL)
    assert plain.due_date() == D(2026, 10, 27)
    paused = clock(T(2026, 9, 30, 9), 15, CAL, [(T(2026, 10, 9, 11), T(2026, 10, 12, 10))])
    assert paused.due_date() == D(2026, 10, 29)
    assert plain.used(T(2026, 10, 16, 18)) == 8  # 8, 9, 10, 12, 13, 14, 15, 16 Oct
    assert plain.share_used(T(2026, 10, 16, 18)) == 5333  # 8/15, in basis points, rounded down
    assert paused.used(T(2026, 10, 16, 18)) == 6
    assert plain.state(T(2026, 10, 28, 0, 0)) == ClockState.OVERDUE
    assert paused.state(T(2026, 10, 28, 0, 0)) == ClockState.RUNNING


def test_aware_moments_are_read_in_beijing():
    """Given moments in UTC, then the days are Beijing's: 02:00 UTC on 13 Feb is 10:00 that day in Beijing,
    and a pause ending at 17:00 UTC on 23 Feb ends on 24 Feb in Beijing (so 24 Feb is covered)."""
    c = Clock(
        T(2026, 2, 13, 2, tzinfo=UTC),
        5,
        CAL,
        (Pause(T(2026, 2, 14, 1, tzinfo=UTC), T(2026, 2, 23, 17, tzinfo=UTC)),),
    )
    assert c.due_date() == D(2026, 2, 28)
    assert c.due() == T(2026, 2, 28, 23, 59, 59, 999999, tzinfo=BEIJING)
    assert c.state(T(2026, 2, 28, 16, tzinfo=UTC)) == ClockState.OVERDUE  # 00:00 on 1 Mar in Beijing
    with pytest.raises(ValueError, match="aware and naive"):
        c.state(T(2026, 2, 28, 16))


def test_a_clock_refuses_what_has_no_meaning():
    for limit in (0, -1, True, 1.5):
        with pytest.raises(ValueError, match="limit"):
            Clock(T(2026, 2, 13, 10), limit, CAL)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="before the clock starts"):
        Clock(T(2026, 2, 13, 10), 5, CAL, (Pause(T(2026, 2, 12, 10), None),))
    with pytest.raises(ValueError, match="before it begins"):
        Clock(T(2026, 2, 13, 10), 5, CAL, (Pause(T(2026, 2, 20, 10), T(2026, 2, 19, 10)),))
    with pytest.raises(ValueError, match="not paused"):
        Clock(T(2026, 2, 13, 10), 5, CAL).resume(T(2026, 2, 20))


def test_a_clock_reaching_an_uncovered_year_is_an_error_until_the_year_is_entered():
    """Given the package's calendar (to 2026), when a limit runs into 2027, then the calendar's
    OutsideCalendar comes through; with 2027 entered (plain weeks here), the clock answers."""
    c = Clock(T(2026, 12, 28, 9), 10, CAL)
    with pytest.raises(OutsideCalendar) as info:
        c.due_date()
    assert info.value.year == 2027
    entered = Clock(T(2026, 12, 28, 9), 10, Calendar({D(2027, 1, 1): False}, frozenset({2027})))
    assert entered.due_date() == D(2027, 1, 12)  # 29, 30, 31 Dec; 4–8, 11, 12 Jan


# --- properties -------------------------------------------------------------------------------------------

starts = st.datetimes(min_value=T(2025, 1, 1), max_value=T(2026, 1, 31, 23, 59))
limits = st.integers(min_value=1, max_value=40)


@st.composite
def pause_lists(draw, start: dt.datetime, max_pauses: int = 3, allow_open: bool = True) -> tuple[Pause, ...]:
    pauses = []
    for _ in range(draw(st.integers(0, max_pauses))):
        begin = start + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 60)))
        if allow_open and draw(st.integers(0, 5)) == 0:
            pauses.append(Pause(begin, None))
        else:
            pauses.append(Pause(begin, begin + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 30)))))
    return tuple(pauses)


@st.composite
def clocks(draw, allow_open: bool = True) -> tuple[Clock, dt.datetime]:
    start = draw(starts)
    c = Clock(start, draw(limits), CAL, draw(pause_lists(start, allow_open=allow_open)))
    at = start + dt.timedelta(minutes=draw(st.integers(0, 60 * 24 * 240)))
    return c, at


def _covered(c: Clock, day: dt.date, at: dt.datetime) -> bool:
    return any(p.start.date() < day <= (p.end or at).date() for p in c.pauses)


def brute_force_due(c: Clock, at: dt.datetime) -> dt.date:
    """Walk day by day from the start, counting working days no pause covers."""
    day, counted = c.start.date(), 0
    while counted < c.limit:
        day += dt.timedelta(1)
        if CAL.is_workday(day) and not _covered(c, day, at):
            counted += 1
    return day


@settings(max_examples=300, deadline=None)
@given(clocks())
def test_the_due_date_is_a_working_day_no_pause_covers_and_matches_a_day_by_day_walk(case):
    c, at = case
    due = c.due_date(at)
    assert CAL.is_workday(due)
    assert not _covered(c, due, at)
    assert due == brute_force_due(c, at)


@settings(max_examples=300, deadline=None)
@given(clocks(), st.data())
def test_a_pause_never_shortens_the_deadline(case, data):
    c, at = case
    extra = data.draw(pause_lists(c.start, max_pauses=1))
    longer = Clock(c.start, c.limit, CAL, c.pauses + extra)
    assert longer.due_date(at) >= c.due_date(at)


@settings(max_examples=200, deadline=None)
@given(clocks())
def test_removing_every_pause_gives_the_plain_add_workdays_result(case):
    c, _at = case
    plain = Clock(c.start, c.limit, CAL)
    assert plain.due_date() == CAL.add_workdays(c.start.date(), c.limit)
    assert plain.due_date() <= c.due_date(_at)


@settings(max_examples=200, deadline=None)
@given(clocks(), st.integers(0, 60 * 24 * 60))
def test_remaining_days_never_grow_as_time_advances(case, minutes):
    c, at = case
    later = at + dt.timedelta(minutes=minutes)
    assert c.remaining(later) <= c.remaining(at)
    assert c.share_used(later) >= c.share_used(at) >= 0
    if not any(p.start <= at and (p.end is None or later < p.end) for p in c.pauses):
        return
    # Inside one pause the days left hold still.
    assert c.remaining(later) == c.remaining(at)


@settings(max_examples=300, deadline=None)
@given(clocks())
def test_overdue_exactly_when_now_is_after_the_due(case):
    c, at = case
    due = c.due(at)
    assert (c.state(at) == ClockState.OVERDUE) == (at > due)
    assert (at > due) == (at.date() > c.due_date(at))
    if c.state(at) != ClockState.OVERDUE:
        assert c.remaining(at) >= 0


@settings(max_examples=200, deadline=None)
@given(clocks(allow_open=False))
def test_the_whole_limit_is_used_on_the_due_date(case):
    c, _at = case
    assert c.used(c.due()) == c.limit
    assert c.remaining(c.due()) == 0
    assert c.share_used(c.due()) == 10_000
