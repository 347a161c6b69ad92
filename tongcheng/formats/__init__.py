"""One date format per language (settings.FORMAT_MODULE_PATH), used by every page, history and the audit
log alike: a day is 2026-11-30, a moment 2026-11-30 14:05 (site time zone), a month 2026-04 — in Chinese
and in English. ISO 8601 because it is what the date inputs and the imports read back, it is what a
Chinese office's tables commonly show, it is unambiguous in both languages and it sorts as text; dates
known only to the month or the year (tongcheng.core.templatetags.bilingual.precise_date) read the same way.

Templates: ``{{ day }}`` or ``{{ day|date:"DATE_FORMAT" }}``, ``{{ moment|date:"DATETIME_FORMAT" }}``;
Python: ``tongcheng.kit.audit_text.format_date`` / ``format_time``. docs/architecture.md, "Dates"."""
