"""Periodic work: deadline warnings, overdue flags, due-soon reminders, clean-ups.

A module registers a function in its ``periodic.py`` (every installed app's ``periodic`` module is imported
by ``manage.py run_periodic``)::

    @periodic(every=timedelta(hours=1))
    def warn_due_soon() -> None:
        for case in Case.objects.due_within(days=2).filter(warned=False):
            ...  # a service that flags the case and notify()s its clerk

``manage.py run_periodic`` runs what is due and exits; the development launcher calls it every minute, and
production calls it from cron or a systemd timer on one or several servers. Each run is claimed by one
conditional UPDATE of the function's row in ``PeriodicRun`` (``last_started_at`` older than the period), so
however many servers call it at once, each due function runs once per period. A function that needs long
does its work in a background job (``start_job``) rather than in the scheduler."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.module_loading import autodiscover_modules

from .models import PeriodicRun

__all__ = ["Periodic", "RunOutcome", "claim", "discover", "periodic", "registry", "run_due"]

logger = logging.getLogger(__name__)

# A run counts as due a little before its period is over: called every minute, a function of period P then
# runs every P, instead of every P plus up to a minute that would add up run after run.
EARLY = timedelta(seconds=30)


@dataclass(frozen=True)
class Periodic:
    name: str
    every: timedelta
    func: Callable[[], Any]


_REGISTRY: dict[str, Periodic] = {}


def periodic(
    *, every: timedelta, name: str | None = None
) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register a function taking no argument to run every ``every`` (at least one minute)."""
    if every < timedelta(minutes=1):
        raise ValueError(
            "A periodic function runs at most once a minute (run_periodic is called each minute)."
        )

    def decorator(func: Callable[[], Any]) -> Callable[[], Any]:
        key = name or f"{func.__module__}.{func.__qualname__}"
        _REGISTRY[key] = Periodic(key, every, func)
        return func

    return decorator


def registry() -> dict[str, Periodic]:
    return dict(_REGISTRY)


def discover() -> None:
    autodiscover_modules("periodic")


def claim(name: str, every: timedelta, now: datetime | None = None) -> bool:
    """Whether this caller won the run of ``name`` due at ``now``: True for exactly one of any number of
    concurrent callers, and for none until the period has passed again."""
    now = now or timezone.now()
    try:
        with transaction.atomic():
            PeriodicRun.objects.get_or_create(name=name)
    except IntegrityError:
        pass  # another server created the row at the same moment
    due_before = now - every + min(EARLY, every / 10)
    return (
        PeriodicRun.objects.filter(name=name)
        .filter(Q(last_started_at__isnull=True) | Q(last_started_at__lte=due_before))
        .update(last_started_at=now)
        == 1
    )


@dataclass(frozen=True)
class RunOutcome:
    name: str
    ok: bool
    error: str = ""


def run_due(now: datetime | None = None, only: set[str] | None = None) -> list[RunOutcome]:
    """Run every registered function that is due and that this caller claims. A failing function is logged
    and recorded; the others still run."""
    outcomes: list[RunOutcome] = []
    for item in sorted(_REGISTRY.values(), key=lambda p: p.name):
        if only is not None and item.name not in only:
            continue
        if not claim(item.name, item.every, now):
            continue
        try:
            item.func()
        except Exception as exc:
            logger.exception("Periodic function %s failed", item.name)
            outcome = RunOutcome(item.name, False, f"{type(exc).__name__}: {exc}"[:500])
        else:
            outcome = RunOutcome(item.name, True)
        PeriodicRun.objects.filter(name=item.name).update(
            last_finished_at=timezone.now(), last_ok=outcome.ok, last_error=outcome.error
        )
        outcomes.append(outcome)
    return outcomes
