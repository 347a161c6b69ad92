"""The statistical split of a zone (统计分算, S-B3): the indicators stored for its enterprises
(``IndicatorValue``) attributed to the parties of its approved agreements by the engine's own
``statistics.attribute``, month by month, ready for the assessment module.

Read through ``statistical_split(user, zone, from, to)``:

- who reads it is who reads the zone's fund (``fund.may_read_fund``): the zone's office, leader and auditor,
  the metropolitan-area office, and the finance bureaus of its parties; anyone else gets a 404, as for a zone
  they do not see;
- ``from`` and ``to`` are months ``YYYY-MM`` (``to`` not before ``from``, at most ``MAX_MONTHS`` months); a
  bad one is refused (422) naming the field;
- the months are cut into the segments of the zone's approved versions (``canonical.engine_segments``), the
  indicators of each segment's months read in one query (``loader.indicators_for_engine``) and attributed
  with the segment's agreement set — so the figures are exactly what ``tongcheng settle --indicators``
  writes to ``statistics.csv`` for the same inputs;
- each line keeps the engine's ``appraisal_only`` flag: with ``double_count`` every party's ``appraisal``
  carries the whole figure, for performance appraisal (考核) only, never to be published or summed across
  parties (``totals`` therefore sums ``attributed``, and gives ``appraisal`` per party only).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from tongcheng.cooperation.engine.statistics import attribute
from tongcheng.cooperation.engine.types import format_period
from tongcheng.core.bilingual import text_for
from tongcheng.core.models import AdjacentZone, Jurisdiction
from tongcheng.kit.services import NotFoundError, ValidationFailed

from ..models import INDICATOR_CHOICES
from ..services import fund
from . import canonical, loader

__all__ = ["MAX_MONTHS", "StatLine", "StatTotal", "StatisticalSplit", "parse_months", "statistical_split"]

MAX_MONTHS = 120
_MONTH = re.compile(r"^([0-9]{4})-(0[1-9]|1[0-2])$")


@dataclass(frozen=True)
class StatLine:
    """One party's share of one indicator of one agreement in one month (a row of ``statistics.csv``)."""

    agreement: str
    agreement_title: str
    period: str
    indicator: str
    jurisdiction: str
    party: str
    role: str
    total: int
    attributed: int
    appraisal: int
    appraisal_only: bool
    method: str

    @property
    def indicator_label(self) -> str:
        return indicator_label(self.indicator)

    @property
    def role_label(self) -> str:
        return role_label(self.role)


@dataclass
class StatTotal:
    """An indicator × agreement × party over the months asked."""

    indicator: str
    agreement: str
    agreement_title: str
    jurisdiction: str
    party: str
    role: str
    total: int = 0
    attributed: int = 0
    appraisal: int = 0
    appraisal_only: bool = False

    @property
    def indicator_label(self) -> str:
        return indicator_label(self.indicator)

    @property
    def role_label(self) -> str:
        return role_label(self.role)


@dataclass
class StatisticalSplit:
    zone: AdjacentZone
    first: str
    last: str
    lines: list[StatLine] = field(default_factory=list)
    totals: list[StatTotal] = field(default_factory=list)

    def by_indicator(self) -> list[tuple[str, str, list[StatTotal]]]:
        """(indicator, its label, its totals) in the order of ``INDICATOR_CHOICES``."""
        groups: dict[str, list[StatTotal]] = defaultdict(list)
        for t in self.totals:
            groups[t.indicator].append(t)
        return [(key, str(label), groups[key]) for key, label in INDICATOR_CHOICES if key in groups]


def role_label(role: str) -> str:
    return {"host": _("host"), "partner": _("partner"), "origin": _("origin")}.get(role, role)


def indicator_label(key: str) -> str:
    return next((str(label) for k, label in INDICATOR_CHOICES if k == key), key)


def _month(text: str | None, name: str) -> int:
    value = (text or "").strip()
    m = _MONTH.match(value)
    if not m:
        raise ValidationFailed(
            _("%(value)s is not a month written YYYY-MM.") % {"value": value or "—"},
            code="invalid_month",
            field=name,
        )
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def parse_months(first: str | None, last: str | None) -> tuple[int, int]:
    """Engine month numbers of ``from`` and ``to``, or a 422 naming the field at fault."""
    a, b = _month(first, "from"), _month(last, "to")
    if b < a:
        raise ValidationFailed(_("The last month comes before the first."), code="invalid_month", field="to")
    if b - a + 1 > MAX_MONTHS:
        raise ValidationFailed(
            _("At most %(count)d months at a time.") % {"count": MAX_MONTHS}, code="invalid_month", field="to"
        )
    return a, b


def default_months(today: Any) -> tuple[str, str]:
    """The page without a period: January to the current month of this year."""
    return f"{today.year:04d}-01", f"{today.year:04d}-{today.month:02d}"


def statistical_split(
    user: Any, zone: AdjacentZone, first_text: str | None, last_text: str | None
) -> StatisticalSplit:
    """See the module. 404 (``NotFoundError``) when the user does not read the zone's statistics."""
    if not fund.may_read_fund(user, zone):
        raise NotFoundError()
    first, last = parse_months(first_text, last_text)
    raw: list[dict[str, Any]] = []
    titles: dict[str, str] = {}
    for segment in canonical.engine_segments(zone, first, last):
        for agreement in segment.agreements.agreements:
            titles[agreement.id] = agreement.name
        rows = loader.indicators_for_engine(zone, segment.first, segment.last)
        if rows.enterprise:
            raw.extend(attribute(segment.agreements, rows))
    names = {
        j.code: text_for(j, "name")
        for j in Jurisdiction.objects.current().filter(code__in={str(r["jurisdiction"]) for r in raw})
    }
    split = StatisticalSplit(zone, format_period(first), format_period(last))
    totals: dict[tuple[str, str, str, str], StatTotal] = {}
    for r in raw:
        code = str(r["jurisdiction"])
        line = StatLine(
            agreement=str(r["agreement"]),
            agreement_title=titles.get(str(r["agreement"]), ""),
            period=str(r["period"]),
            indicator=str(r["indicator"]),
            jurisdiction=code,
            party=names.get(code, code),
            role=str(r["role"]),
            total=int(r["total"]),
            attributed=int(r["attributed"]),
            appraisal=int(r["appraisal"]),
            appraisal_only=bool(r["appraisal_only"]),
            method=str(r["method"]),
        )
        split.lines.append(line)
        key = (line.indicator, line.agreement, str(line.role), code)
        t = totals.get(key)
        if t is None:
            t = totals[key] = StatTotal(
                line.indicator, line.agreement, line.agreement_title, code, line.party, line.role
            )
        t.total += line.total
        t.attributed += line.attributed
        t.appraisal += line.appraisal
        t.appraisal_only = t.appraisal_only or line.appraisal_only
    order = {key: i for i, (key, _label) in enumerate(INDICATOR_CHOICES)}
    split.lines.sort(key=lambda s: (order.get(s.indicator, 99), s.agreement, s.period))
    split.totals = sorted(totals.values(), key=lambda t: (order.get(t.indicator, 99), t.agreement))
    return split


def find_zone(user: Any, code: str) -> AdjacentZone:
    """The zone whose statistics the user reads, or 404."""
    zone = AdjacentZone.objects.filter(code=code).first()
    if zone is None or not fund.may_read_fund(user, zone):
        raise NotFoundError()
    return zone
