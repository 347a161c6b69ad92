"""Record text in the user's language: every text field ``x`` shown to users may have an English twin
``x_en``. The Chinese UI shows ``x``; the English UI shows ``x_en``, or ``x`` where no English exists (a
name with no English form), the same rule as Jurisdiction.display_name. One helper, so pages, exports and
the API agree."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language


def is_english(language: str | None = None) -> bool:
    return (language or get_language() or "").startswith("en")


def text_for(obj: Any, field: str, language: str | None = None) -> str:
    """``obj.<field>_en`` in the English UI when it is not empty, else ``obj.<field>``; works on models and
    on plain dicts (the stored source lists)."""

    def get(name: str) -> Any:
        return obj.get(name, "") if isinstance(obj, dict) else getattr(obj, name, "")

    if is_english(language):
        english = get(f"{field}_en")
        if english:
            return str(english)
    value = get(field)
    return "" if value is None else str(value)


class Bilingual:
    """Mixin for models with ``_en`` twins of their text fields."""

    def text_for(self, field: str, language: str | None = None) -> str:
        return text_for(self, field, language)

    @property
    def display(self) -> str:
        """The name in the active language (templates: ``{{ zone.display }}``)."""
        return text_for(self, "name")


# The policy article the project implements (shared/seed): sources citing it say "seed:<file>"; users see
# the article, not the file.
SEED_ARTICLE = {
    "zh": "周聪：《推进毗邻区同城化 加快都市圈一体化发展》",
    "en": "Zhou Cong: Make adjacent areas work as one city, speed up the integration of the metropolitan area",
}


def source_where(source: dict, language: str | None = None) -> str:
    """Where a stored source fact comes from, for people: its address, or the article for a seed fact."""
    url = source.get("url") or ""
    if url.startswith("seed:"):
        return SEED_ARTICLE["en" if is_english(language) else "zh"]
    return url
