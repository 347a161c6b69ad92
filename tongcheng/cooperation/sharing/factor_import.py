"""The factor import's rows as the records' ``ApportionmentFactor`` (one model for the 57号 factors, written
only by the records' services).

A row of the tax system's file names a unit of a head-office enterprise (``enterprise``, ``unit``,
``jurisdiction``, ``year`` applied). It is resolved against the records, a batch at a time (the enterprises
and their establishments read in chunks, never a query per row):

- the enterprise must be recorded (with its head office); ``unit`` ``HQ`` is its head office, which must lie
  in the row's jurisdiction; any other unit is its branch or production base in the row's jurisdiction (when
  there are several there, the unit names one by its name or id);
- ``opened``, ``closed`` and ``support_no_vat`` are the establishment's (edited on it): a given value that
  differs from the record is refused, naming the recorded one;
- the figures are stored under the year before the year applied (57号 art. 15: ``ApportionmentFactor.year``
  is the figures' year), with ``small_low_profit``.

New rows go through ``services.batch.create_records``, changed ones through ``update_records`` (the version
read in the same transaction), each with its history row and ``factor.save`` audit entry; the check pass
runs them with ``write`` false, so a row the importer may not change is refused before anything is written."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from ..models import ApportionmentFactor, Enterprise, Establishment, EstablishmentKind
from ..services.batch import create_records, update_records

__all__ = ["FactorWriter"]

CHUNK = 500
VALUE_FIELDS = ("revenue_fen", "payroll_fen", "assets_fen", "small_low_profit")


def _month(day: Any) -> int | None:
    return None if day is None else day.year * 100 + day.month


def _yyyymm(value: int | None) -> str:
    return "—" if value is None else f"{value // 100:04d}-{value % 100:02d}"


class FactorWriter:
    """Resolves and writes the factor rows of one import pass."""

    def __init__(self, user: Any, present: set[str], *, write: bool, apply_valid: bool) -> None:
        self.user, self.present = user, present
        self.write, self.apply_valid = write, apply_valid
        self.enterprises: dict[str, Enterprise | None] = {}

    def _load(self, codes: set[str]) -> None:
        missing = sorted(c for c in codes if c not in self.enterprises)
        for start in range(0, len(missing), CHUNK):
            chunk = missing[start : start + CHUNK]
            found = {
                e.credit_code: e
                for e in Enterprise.objects.visible_to(self.user)
                .filter(credit_code__in=chunk)
                .prefetch_related(
                    Prefetch(
                        "establishments",
                        queryset=Establishment.objects.select_related("jurisdiction").order_by("pk"),
                    )
                )
            }
            for code in chunk:
                self.enterprises[code] = found.get(code)

    def resolve(
        self, values: dict[str, list[Any]], good: Sequence[int], problems: list[dict[str, str]]
    ) -> dict[int, Establishment]:
        """The establishment of each good row (a refused one gets its problem instead)."""
        self._load({values["enterprise"][i] for i in good})
        out: dict[int, Establishment] = {}
        for i in good:
            code, unit, where = values["enterprise"][i], values["unit"][i], values["jurisdiction"][i]
            enterprise = self.enterprises.get(code)
            if enterprise is None:
                problems[i]["enterprise"] = _(
                    "%(value)s is not an enterprise of the records you may see; record it and its establishments first."
                ) % {"value": code}
                continue
            places = list(enterprise.establishments.all())
            head = next((p for p in places if p.kind == EstablishmentKind.HEAD_OFFICE), None)
            if head is None:
                problems[i]["unit"] = _("The enterprise %(enterprise)s has no head office recorded.") % {
                    "enterprise": code
                }
                continue
            if unit == "HQ":
                if head.jurisdiction.code != where:
                    problems[i]["jurisdiction"] = _(
                        "The head office of %(enterprise)s is recorded in %(code)s."
                    ) % {"enterprise": code, "code": head.jurisdiction.code}
                    continue
                place = head
            else:
                there = [p for p in places if p is not head and p.jurisdiction.code == where]
                if len(there) > 1:
                    there = [p for p in there if unit in (p.name, str(p.pk))]
                if not there:
                    problems[i]["unit"] = _(
                        "%(enterprise)s has no branch or production base recorded in %(code)s named %(unit)s."
                    ) % {"enterprise": code, "code": where, "unit": unit}
                    continue
                place = there[0]
            if self._differs(i, values, place, problems):
                continue
            out[i] = place
        return out

    def _differs(
        self, i: int, values: dict[str, list[Any]], place: Establishment, problems: list[dict[str, str]]
    ) -> bool:
        for column, recorded in (("opened", _month(place.opened)), ("closed", _month(place.closed))):
            given = values[column][i] if column in self.present else None
            if given is not None and given != recorded:
                problems[i][column] = _(
                    "The establishment's record says %(value)s; change it on the establishment."
                ) % {"value": _yyyymm(recorded)}
        if "support_no_vat" in self.present and values["support_no_vat"][i] != place.support_unit:
            problems[i]["support_no_vat"] = _(
                "The establishment's record says %(value)s; change it on the establishment."
            ) % {"value": _("Yes") if place.support_unit else _("No")}
        return any(c in problems[i] for c in ("opened", "closed", "support_no_vat"))

    def store(
        self,
        values: dict[str, list[Any]],
        places: dict[int, Establishment],
        numbers: dict[int, int],
        outcome: Any,
        report: Any,
    ) -> None:
        """Create or update the rows (``report(row number, column, message)`` for a refusal)."""
        if not places:
            return
        wanted: dict[tuple[int, int], tuple[int, dict[str, Any]]] = {}
        for i, place in places.items():
            year = int(values["year"][i]) - 1
            wanted[(place.pk, year)] = (
                i,
                {
                    f: (bool(values[f][i]) if f == "small_low_profit" else int(values[f][i]))
                    for f in VALUE_FIELDS
                },
            )
        existing: dict[tuple[int, int], ApportionmentFactor] = {}
        pks = sorted({k[0] for k in wanted})
        for start in range(0, len(pks), CHUNK):
            for row in ApportionmentFactor.objects.filter(establishment_id__in=pks[start : start + CHUNK]):
                existing[(row.establishment_id, row.year)] = row
        new: list[tuple[int, ApportionmentFactor]] = []
        updates: list[tuple[int, ApportionmentFactor, dict[str, Any]]] = []
        for (pk, year), (i, figures) in wanted.items():
            old = existing.get((pk, year))
            if old is None:
                new.append((i, ApportionmentFactor(establishment=places[i], year=year, **figures)))
            elif old.synthetic or any(getattr(old, f) != v for f, v in figures.items()):
                updates.append((i, old, {**figures, "synthetic": False}))
            else:
                outcome.unchanged += 1
        if new:
            result = create_records(
                actor=self.user,
                instances=[obj for _i, obj in new],
                audit_action="factor.save",
                refusal=_("You may not record this establishment's factors."),
                data=lambda o: {
                    "year": getattr(o, "year", None),
                    **{f: getattr(o, f, None) for f in VALUE_FIELDS},
                    "import": True,
                },
                apply_valid=self.apply_valid,
                write=self.write,
            )
            for index, error in result.errors.items():
                report(numbers[new[index][0]], "enterprise", str(error.message))
            outcome.created += len(new) - len(result.errors)
        if updates:
            result = update_records(
                actor=self.user,
                model=ApportionmentFactor,
                updates=[(obj, changes, obj.version) for _i, obj, changes in updates],
                fields=(*VALUE_FIELDS, "synthetic"),
                audit_action="factor.save",
                apply_valid=self.apply_valid,
                write=self.write,
            )
            for index, error in result.errors.items():
                report(numbers[updates[index][0]], "enterprise", str(error.message))
            outcome.updated += len(updates) - len(result.errors)
