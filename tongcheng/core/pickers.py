"""Picking a record by its name: the suggestions a picker shows as one types (Chinese, English, pinyin or
its initials, or the code), and the resolution of what a form received when no script chose for the user.

Only what the user may see is ever suggested: jurisdictions are public reference data; zones, metropolitan
areas and organisations come through ``visible_to``."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from .bilingual import text_for
from .models import AdjacentZone, Jurisdiction, MetroArea, Organisation
from .pinyin import normalise_query, search_key

__all__ = ["KINDS", "Choice", "metro_paths", "resolve", "search"]

SUGGESTIONS_MAX = 20
# The models a picker may search, by the name the page's ``data-kind`` gives, and the field of their key.
KINDS: dict[str, tuple[Any, str]] = {
    "jurisdiction": (Jurisdiction, "code"),
    "zone": (AdjacentZone, "code"),
    "metro": (MetroArea, "code"),
    "organisation": (Organisation, "key"),
}
ACTIONS = ("view", "change")


@dataclass(frozen=True)
class Choice:
    value: str  # what the form stores: a code or a key
    name: str  # the name in the reader's language, which the field shows once chosen
    label: str  # the suggestion as listed: the name with where it lies and its code

    def as_dict(self) -> dict[str, str]:
        return {"value": self.value, "name": self.name, "label": self.label}


@lru_cache(maxsize=4096)
def _key(name: str) -> str:
    return search_key(name)


def metro_paths(metro: MetroArea | None) -> list[str]:
    """The path prefixes of a metropolitan area's member cities (members of its zones lie inside)."""
    if metro is None:
        return []
    return list(metro.members.values_list("jurisdiction__path", flat=True))


def _jurisdiction_choice(j: Jurisdiction) -> Choice:
    name = text_for(j, "name")
    parent = text_for(j.parent, "name") if j.parent_id and j.parent else ""
    label = f"{name} · {parent} ({j.code})" if parent else f"{name} ({j.code})"
    return Choice(j.code, name, label)


def _rank(name: str, name_en: str, raw: str) -> int:
    if raw in (name, name_en) or raw.lower() == name_en.lower():
        return 0
    return 1 if name.startswith(raw) or name_en.lower().startswith(raw.lower()) else 2


def _jurisdictions(user: Any, raw: str, query: str, within: list[str] | None, exact: bool) -> list[Choice]:
    qs = Jurisdiction.objects.visible_to(user).current().select_related("parent")
    if within is not None:
        qs = qs.filter(Q(*[Q(path__startswith=p) for p in within], _connector=Q.OR)) if within else qs.none()
    if exact:
        found = qs.filter(Q(name=raw) | Q(name_en__iexact=raw) | Q(code=raw))
    else:
        match = Q(name__icontains=raw) | Q(name_en__icontains=raw) | Q(code__startswith=raw)
        if query:
            match |= Q(search_key__contains=f" {query}")
        found = qs.filter(match)
    rows = sorted(
        found[:200],
        key=lambda j: (_rank(j.name, j.name_en, raw), {"county": 0, "township": 1}.get(j.level, 2), j.code),
    )
    return [_jurisdiction_choice(j) for j in rows[:SUGGESTIONS_MAX]]


def _named(user: Any, kind: str, raw: str, query: str, action: str, exact: bool) -> list[Choice]:
    """Zones, metropolitan areas, organisations: few per user, matched in Python (pinyin of their names
    is computed once per process and name)."""
    model, key_field = KINDS[kind]
    rows = list(model.objects.visible_to(user, action).order_by(key_field)[:2000])
    out = []
    for row in rows:
        key = getattr(row, key_field)
        if exact:
            hit = raw in (row.name, key) or raw.lower() == (row.name_en or "").lower()
        else:
            hit = (
                raw in row.name
                or raw.lower() in (row.name_en or "").lower()
                or key.startswith(raw.lower())
                or bool(query and f" {query}" in _key(row.name))
            )
        if hit:
            name = text_for(row, "name")
            out.append((_rank(row.name, row.name_en or "", raw), Choice(key, name, f"{name} ({key})")))
    out.sort(key=lambda pair: (pair[0], pair[1].value))
    return [choice for _r, choice in out[:SUGGESTIONS_MAX]]


def search(
    user: Any,
    kind: str,
    text: str,
    *,
    within: list[str] | None = None,
    action: str = "view",
    exact: bool = False,
) -> list[Choice]:
    """The records of ``kind`` the user may see (or act on: ``action``) whose name, English name, pinyin,
    pinyin initials or code starts or contains what was typed; jurisdictions only current ones, and only
    inside ``within`` (path prefixes) when given. ``exact``: only records named exactly so."""
    raw = (text or "").strip()
    if not raw or kind not in KINDS or action not in ACTIONS:
        return []
    query = normalise_query(raw)
    if not query.isascii():
        query = ""
    if kind == "jurisdiction":
        return _jurisdictions(user, raw, query, within, exact)
    return _named(user, kind, raw, query, action, exact)


def resolve(
    user: Any,
    kind: str,
    text: str,
    value: str = "",
    *,
    within: list[str] | None = None,
    action: str = "view",
) -> tuple[str | None, str | None]:
    """What a picked field received, as (value, None), or (None, the message to show beside the field).

    A picker's script fills ``value`` (the code) when the user chooses a suggestion; without the script,
    or after the user typed over the choice, the name typed decides: an exact name, English name or code
    picks its record, and so does a name only one record's pinyin or name begins with; several are named
    in the message to choose from."""
    text = (text or "").strip()
    value = (value or "").strip()
    if value:
        chosen = search(user, kind, value, within=within, action=action, exact=True)
        chosen = [c for c in chosen if c.value == value]
        if chosen and (not text or text in {chosen[0].label, value} or text in _names(kind, value)):
            return value, None
    if not text:
        return None, None
    found = search(user, kind, text, within=within, action=action, exact=True)
    if len(found) != 1:
        found = found or search(user, kind, text, within=within, action=action)
    if len(found) == 1:
        return found[0].value, None
    if not found:
        return None, _("Nothing called “%(text)s” can be chosen here.") % {"text": text}
    return None, _("“%(text)s” could be: %(names)s. Choose one.") % {
        "text": text,
        "names": "; ".join(c.label for c in found[:8]),
    }


def _names(kind: str, value: str) -> set[str]:
    """A record's names in both languages (the page may have been rendered in the other language)."""
    model, key_field = KINDS[kind]
    rows = model.objects.filter(**{key_field: value}).values_list("name", "name_en")
    return {name for pair in rows for name in pair if name}
