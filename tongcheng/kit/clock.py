"""Working-day clocks: a time limit in working days that stops while the case waits (补正, special
procedures), with its due date, the working days left, the share of the limit used and its state.

Pure: no Django, no database. The working days come from the ``calendar`` given (any object with
``is_workday``, ``add_workdays`` and ``workdays_between`` over dates — in the app,
``tongcheng.core.workdays.db_calendar()``), which raises its ``OutsideCalendar`` error when a computation
reaches a year it does not cover; the clock lets that error through, never guessing a year.

Counting rule
-------------

Every moment is taken on its calendar date in Beijing (an aware datetime is converted to Asia/Shanghai;
naive datetimes are taken as Beijing time already; aware and naive are never mixed). The time of day
plays no part, as in ``workdays.add_workdays``: partial days are whole days, and which of them count is
fixed by two rules —

1. **The starting day is not counted** ("自受理之日起N个工作日内"): the limit runs over working days
   strictly after the start date. Without pauses the due date is exactly
   ``calendar.add_workdays(start_date, limit)``.
2. **A pause from date a to date b covers the days d with a < d ≤ b.** The day a pause begins counts
   (the clock ran on it); the day it ends does not (the clock restarts on it, and like a starting day
   that day is free); the days between do not count. A pause that begins and ends on the same day covers
   nothing, so that day counts once, as if there had been no pause. An open pause (``end is None``)
   covers the days after a up to the moment asked about, so while it lasts the due date moves on day by
   day. Overlapping pauses cover the union of their days.

So a pause extends the due date by exactly the working days it covers before that date — the reading of
the vendor systems' 已暂停 status, "the time limit is extended by the paused working days"
(../shared/domain/govservices.md §1.3; the central texts give no finer rule). A pause beginning on the
due date or later moves nothing: the limit was already used up.

**Due** is the end of the due date (23:59:59.999999 that day): the limit-th counted working day, never a
day off nor a day a pause covers. **Used** at a moment is the number of counted working days from the
day after the start up to and including the moment's date (a working day counts from its first minute:
on the due date all of the limit is used). **Remaining** is ``limit - used`` — zero on the due date, and
negative once counted working days pass after it (the working days overdue). **Share used** is
``used * 10000 // limit`` in basis points (rounded down; above 10000 when overdue). **State** at a
moment: ``overdue`` exactly when the moment is after the due (whether or not a pause runs: a pause cannot
revive a limit already used up), else ``paused`` while a pause runs (start ≤ moment < end), else
``running`` (also before the start, when nothing is used yet).
"""

from __future__ import annotations

import datetime
import enum
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Protocol
from zoneinfo import ZoneInfo

__all__ = ["BASIS_POINTS", "Clock", "ClockState", "Pause", "WorkingCalendar", "clock"]

SHANGHAI = ZoneInfo("Asia/Shanghai")
BASIS_POINTS = 10_000  # the whole limit


class WorkingCalendar(Protocol):
    """The working-day functions a clock needs (``tongcheng.core.workdays.Calendar`` provides them)."""

    def is_workday(self, day: datetime.date) -> bool: ...

    def add_workdays(self, moment: datetime.date, n: int) -> datetime.date: ...

    def workdays_between(self, start: datetime.date, end: datetime.date) -> int: ...


class ClockState(enum.StrEnum):
    RUNNING = "running"
    PAUSED = "paused"
    OVERDUE = "overdue"


@dataclass(frozen=True)
class Pause:
    """The clock stopped from ``start``; ``end`` is None while the pause lasts. ``reason`` is the caller's
    code, e.g. ``"supplement"`` (补正) or ``"special_procedure"`` (特别程序); the clock does not read it."""

    start: datetime.datetime
    end: datetime.datetime | None = None
    reason: str = ""


def _aware(moment: datetime.datetime) -> bool:
    return moment.tzinfo is not None and moment.tzinfo.utcoffset(moment) is not None


def _local_date(moment: datetime.datetime) -> datetime.date:
    return (moment.astimezone(SHANGHAI) if _aware(moment) else moment).date()


@dataclass(frozen=True)
class Clock:
    """A time limit of ``limit`` working days from ``start`` on ``calendar``, stopped by ``pauses``."""

    start: datetime.datetime
    limit: int
    calendar: WorkingCalendar = field(compare=False)
    pauses: tuple[Pause, ...] = ()

    def __post_init__(self) -> None:
        if isinstance(self.limit, bool) or not isinstance(self.limit, int) or self.limit < 1:
            raise ValueError(
                f"the limit must be a whole number of working days, at least 1 (not {self.limit!r})"
            )
        object.__setattr__(self, "pauses", tuple(self.pauses))
        for pause in self.pauses:
            for moment in (pause.start, pause.end):
                if moment is not None:
                    self._same_kind(moment)
            if pause.start < self.start:
                raise ValueError(
                    f"a pause cannot begin ({pause.start}) before the clock starts ({self.start})"
                )
            if pause.end is not None and pause.end < pause.start:
                raise ValueError(f"a pause cannot end ({pause.end}) before it begins ({pause.start})")

    def _same_kind(self, moment: datetime.datetime) -> None:
        if _aware(moment) != _aware(self.start):
            raise ValueError("aware and naive datetimes cannot be mixed in one clock")

    # --- building ------------------------------------------------------------------------------------

    def pause(self, start: datetime.datetime, reason: str = "") -> Clock:
        """The clock with a new open pause from ``start``."""
        return replace(self, pauses=(*self.pauses, Pause(start, None, reason)))

    def resume(self, end: datetime.datetime) -> Clock:
        """The clock with its open pause ended at ``end`` (ValueError when none is open)."""
        open_ = [i for i, p in enumerate(self.pauses) if p.end is None]
        if not open_:
            raise ValueError("the clock is not paused")
        pauses = list(self.pauses)
        pauses[open_[-1]] = replace(pauses[open_[-1]], end=end)
        return replace(self, pauses=tuple(pauses))

    # --- reading -------------------------------------------------------------------------------------

    def _at(self, at: datetime.datetime | None) -> datetime.date | None:
        if at is None:
            if any(p.end is None for p in self.pauses):
                raise ValueError("an open pause lasts until the moment asked about: give `at`")
            return None
        self._same_kind(at)
        return _local_date(at)

    def _covered(self, until: datetime.date | None) -> list[tuple[datetime.date, datetime.date]]:
        """The pauses as merged, sorted, disjoint date spans (a, b]; an open pause ends on ``until``."""
        spans = []
        for pause in self.pauses:
            first = _local_date(pause.start)
            last = _local_date(pause.end) if pause.end is not None else until
            if last is not None and last > first:
                spans.append((first, last))
        merged: list[tuple[datetime.date, datetime.date]] = []
        for first, last in sorted(spans):
            if merged and first <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], last))
            else:
                merged.append((first, last))
        return merged

    def due_date(self, at: datetime.datetime | None = None) -> datetime.date:
        """The last working day of the limit (``at`` is needed only while a pause is open)."""
        until = self._at(at)
        remaining = self.limit
        current = _local_date(self.start)
        for first, last in self._covered(until):
            if last <= current:
                continue
            if first > current:
                available = self.calendar.workdays_between(current, first)
                if remaining <= available:
                    return self.calendar.add_workdays(current, remaining)
                remaining -= available
            current = max(current, last)
        return self.calendar.add_workdays(current, remaining)

    def due(self, at: datetime.datetime | None = None) -> datetime.datetime:
        """The end of the due date, in Beijing time (naive when the clock's datetimes are naive)."""
        end = datetime.datetime.combine(self.due_date(at), datetime.time.max)
        return end.replace(tzinfo=SHANGHAI) if _aware(self.start) else end

    def used(self, at: datetime.datetime) -> int:
        """Counted working days from the day after the start up to and including ``at``'s date."""
        day = self._at(at)
        assert day is not None
        start = _local_date(self.start)
        if day <= start:
            return 0
        count = self.calendar.workdays_between(start, day)
        for first, last in self._covered(day):
            low, high = max(first, start), min(last, day)
            if high > low:
                count -= self.calendar.workdays_between(low, high)
        return count

    def remaining(self, at: datetime.datetime) -> int:
        """Working days left after ``at``'s date (0 on the due date, negative when overdue)."""
        return self.limit - self.used(at)

    def share_used(self, at: datetime.datetime) -> int:
        """The share of the limit used, in basis points (10000 = all), rounded down."""
        return self.used(at) * BASIS_POINTS // self.limit

    def is_paused(self, at: datetime.datetime) -> bool:
        self._same_kind(at)
        return any(p.start <= at and (p.end is None or at < p.end) for p in self.pauses)

    def state(self, at: datetime.datetime) -> ClockState:
        if at > self.due(at):
            return ClockState.OVERDUE
        if self.is_paused(at):
            return ClockState.PAUSED
        return ClockState.RUNNING


def clock(
    start: datetime.datetime,
    limit: int,
    calendar: WorkingCalendar,
    pauses: Iterable[Pause | tuple[datetime.datetime, datetime.datetime | None]] = (),
) -> Clock:
    """A clock from plain values: pauses as ``Pause`` or ``(start, end or None)`` pairs."""
    return Clock(
        start,
        limit,
        calendar,
        tuple(p if isinstance(p, Pause) else Pause(p[0], p[1]) for p in pauses),
    )
