"""Settlement statements (结算单): an .xlsx workbook (sheets: summary, per agreement, per party, transfers)
and a PDF in Chinese with a signature block per party, through the kit's documents (ReportLab STSong-Light,
XlsxWriter). Both are made of the lines the reader may see (a party's finance bureau: its own treasury's),
and always in Chinese, the language of the record (the msgids are translated in coop_settle.po)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext as _

from tongcheng.kit import documents as d
from tongcheng.kit.workflow import confirmations

from ..models import LineKind, Settlement, SettlementLine
from ..sharing import present

__all__ = ["statement_pdf", "statement_xlsx"]

LANGUAGE = "zh-hans"


def _status(settlement: Settlement) -> str:
    return str(settlement.get_status_display())


def _per_party(lines: list[SettlementLine]) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for line in lines:
        if line.kind == LineKind.SHARE or (
            line.kind == LineKind.ADJUSTMENT and line.corrects_kind == "share"
        ):
            out[line.jurisdiction] += line.amount_fen
    return dict(sorted(out.items()))


def _tables(settlement: Settlement, lines: list[SettlementLine]) -> dict[str, Any]:
    names = present.division_names()
    label = lambda code: present.party_label(code, names) if code else ""  # noqa: E731
    shares = [line for line in lines if line.kind == LineKind.SHARE]
    transfers = [line for line in lines if line.kind == LineKind.TRANSFER]
    adjustments = [line for line in lines if line.kind == LineKind.ADJUSTMENT]
    per_agreement: dict[str, list[int]] = {}
    for line in shares:
        row = per_agreement.setdefault(line.agreement, [0])
        row[0] += line.amount_fen
    summary = [
        (_("Number"), settlement.number),
        (_("Zone"), settlement.zone.name),
        (_("Period"), settlement.period_label),
        (_("Status"), _status(settlement)),
        (_("Total shared (yuan)"), d.format_amount(settlement.total_fen)),
        (_("Input fingerprint"), settlement.fingerprint),
    ]
    if settlement.ledger_hash:
        summary.append(
            (
                _("Ledger entry"),
                f"{settlement.ledger_chain} #{settlement.ledger_sequence} {settlement.ledger_hash}",
            )
        )
    return {
        "summary": summary,
        "agreement": (
            [
                d.Column(_("Agreement")),
                d.Column(_("Party")),
                d.Column(_("Tax type")),
                d.Column(_("Base (yuan)"), "amount"),
                d.Column(_("Share (yuan)"), "amount"),
            ],
            [
                (line.agreement, label(line.jurisdiction), line.tax_type, line.base_fen, line.amount_fen)
                for line in shares
            ],
        ),
        "agreement_totals": [(a, v[0]) for a, v in sorted(per_agreement.items())],
        "party": (
            [d.Column(_("Party")), d.Column(_("Code")), d.Column(_("Share (yuan)"), "amount")],
            [(label(code), code, amount) for code, amount in _per_party(lines).items()],
        ),
        "transfers": (
            [d.Column(_("Payer")), d.Column(_("Payee")), d.Column(_("Amount (yuan)"), "amount")],
            [(label(line.jurisdiction), label(line.payee), line.amount_fen) for line in transfers],
        ),
        "adjustments": (
            [
                d.Column(_("Corrects")),
                d.Column(_("Period corrected")),
                d.Column(_("Agreement")),
                d.Column(_("Party")),
                d.Column(_("Tax type")),
                d.Column(_("Amount (yuan)"), "amount"),
            ],
            [
                (
                    a.corrects,
                    a.corrects_period,
                    a.agreement,
                    label(a.jurisdiction) + (f" → {label(a.payee)}" if a.payee else ""),
                    a.tax_type,
                    a.amount_fen,
                )
                for a in adjustments
            ],
        ),
    }


def _lines(lines: QuerySet[SettlementLine]) -> list[SettlementLine]:
    return list(lines.order_by("kind", "agreement", "jurisdiction", "tax_type", "payee", "id"))


def statement_xlsx(settlement: Settlement, lines: QuerySet[SettlementLine]) -> bytes:
    with translation.override(LANGUAGE):
        t = _tables(settlement, _lines(lines))
        total = _("Total")
        sheets = [
            d.Sheet(_("Statement summary"), [d.Column(_("Item")), d.Column(_("Value"))], t["summary"]),
            d.Sheet(_("Per agreement"), *t["agreement"], total_label=total),
            d.Sheet(_("Per party"), *t["party"], total_label=total),
            d.Sheet(_("Transfers"), *t["transfers"], total_label=total),
        ]
        if t["adjustments"][1]:
            sheets.append(d.Sheet(_("Adjustments"), *t["adjustments"], total_label=total))
        return d.xlsx_workbook(sheets)


def statement_pdf(settlement: Settlement, lines: QuerySet[SettlementLine]) -> bytes:
    with translation.override(LANGUAGE):
        t = _tables(settlement, _lines(lines))
        total = _("Total")
        names = present.division_names()
        answers = {
            r.jurisdiction.code: r
            for r in confirmations._current_round(settlement)
            if r.jurisdiction is not None
        }
        signatures = []
        for code in settlement.parties.values_list("jurisdiction", flat=True):
            r = answers.get(code)
            confirmed = r is not None and r.status == "confirmed"
            signatures.append(
                (
                    _("Finance bureau of %(party)s") % {"party": present.party_label(code, names)},
                    [
                        d.Facts(
                            [
                                (_("Confirmed by"), r.decided_by_name if confirmed else ""),
                                (_("Confirmed at"), r.decided_at if confirmed else ""),
                                (_("Signature"), "　" * 12),
                                (_("Seal"), "　" * 12),
                            ]
                        )
                    ],
                )
            )
        sections = [
            ("", [d.Facts(t["summary"])]),
            (_("Per agreement"), [d.Table(*t["agreement"], total_label=total, empty_text=_("None"))]),
            (_("Per party"), [d.Table(*t["party"], total_label=total, empty_text=_("None"))]),
            (_("Transfers"), [d.Table(*t["transfers"], total_label=total, empty_text=_("None"))]),
        ]
        if t["adjustments"][1]:
            sections.append((_("Adjustments"), [d.Table(*t["adjustments"], total_label=total)]))
        sections.extend(signatures)
        return d.pdf_document(
            _("Settlement statement %(number)s") % {"number": settlement.number},
            sections,
            subtitle=f"{settlement.zone.name} {settlement.period_label}",
            header=_("Settlement statement"),
            footer=settlement.number,
        )
