"""The fund page of a zone (S-B1): commitments per party and year, contributions, disbursements, each
party's arrears and cost share as of a day; and the pages on which the zone's office records them. The
fund is read by the zone's office, leader and auditor and by its parties' finance bureaus; anyone else gets
a 404, as for a zone they do not see."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tongcheng.core.bilingual import text_for
from tongcheng.core.models import AdjacentZone
from tongcheng.core.money import format_fen
from tongcheng.kit.importing import parse_date
from tongcheng.kit.services import ServiceError

from .. import selectors
from ..forms import CommitmentForm, ContributionForm, DisbursementForm
from ..services import fund
from .common import record_form, refused

__all__ = ["commitment_create", "contribution_create", "disbursement_create", "zone_fund"]


def _fund_zone(request: HttpRequest, code: str, action: str = "view") -> AdjacentZone:
    zone = AdjacentZone.objects.filter(code=code).first()
    if zone is None or not fund.may_read_fund(request.user, zone):
        raise Http404
    if action != "view" and not fund.may_read_fund(request.user, zone, action):
        raise PermissionDenied
    return zone


def wan(fen: int | None) -> str:
    """万元, exact (at least two decimals)."""
    return "" if fen is None else format_fen(fen, "wan")


@login_required
def zone_fund(request: HttpRequest, code: str) -> HttpResponse:
    zone = _fund_zone(request, code)
    text = (request.GET.get("as_of") or "").strip()
    status = 200
    try:
        as_of = parse_date(text) or timezone.localdate()
    except ValueError:
        as_of = None
    if as_of is None:
        messages.error(
            request, _("“%(value)s” is not a valid date: write it as YYYY-MM-DD.") % {"value": text}
        )
        as_of, status = timezone.localdate(), 400
    commitments = list(selectors.commitments(request.user).filter(zone=zone))
    contributions = list(selectors.contributions(request.user).filter(zone=zone).order_by("date", "pk"))
    disbursements = list(selectors.disbursements(request.user).filter(zone=zone).order_by("date", "pk"))
    position = fund.fund_position(
        zone, commitments=commitments, contributions=contributions, disbursements=disbursements, as_of=as_of
    )
    grid = [
        {
            "party": p.party,
            "cells": [wan(p.committed_by_year.get(y)) for y in position.years],
            "total": wan(p.committed_total),
        }
        for p in position.parties
    ]
    year_totals = position.year_totals()
    context = {
        "zone": zone,
        "as_of": as_of,
        "position": position,
        "grid": grid,
        "year_totals": [wan(year_totals.get(y, 0)) for y in position.years],
        "parties": [
            {
                "party": p.party,
                "committed_due": wan(p.committed_due),
                "contributed": wan(p.contributed),
                "arrears": wan(p.arrears),
                "credit": wan(p.credit),
                "share": "" if p.share_bp is None else f"{p.share_bp / 100:.2f}%",
                "share_bp": p.share_bp,
            }
            for p in position.parties
        ],
        "contributions": contributions,
        "disbursements": disbursements,
        "totals": {
            "committed": wan(position.committed_total),
            "due": wan(position.committed_due),
            "contributed": wan(position.contributed),
            "arrears": wan(position.arrears),
            "disbursed": wan(position.disbursed),
            "balance": wan(position.balance),
        },
        "can_change": fund.may_read_fund(request.user, zone, "change"),
        "wan": wan,
    }
    return render(request, "cooperation/fund.html", context, status=status)


def _back(zone: AdjacentZone) -> str:
    return reverse("coop_zone_fund", args=[zone.code])


@login_required
def commitment_create(request: HttpRequest, code: str) -> HttpResponse:
    zone = _fund_zone(request, code, "change")
    form = CommitmentForm(request.POST or None, parties=fund.parties_of(zone))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            existing = (
                selectors.commitments(request.user)
                .filter(zone=zone, party=data["party"], year=data["year"])
                .first()
            )
            try:
                fund.save_commitment(
                    actor=request.user,
                    zone=zone,
                    party=data["party"],
                    year=data["year"],
                    amount_fen=data["amount"],
                    reference=data["reference"],
                    note=data["note"],
                    expected_version=existing.version if existing else None,
                )
            except ServiceError as exc:
                status = refused(exc, form, {"amount_fen": "amount"})
            else:
                messages.success(request, _("Commitment recorded."))
                return redirect(_back(zone))
    title = _("Commitment to the fund of %(zone)s") % {"zone": text_for(zone, "name")}
    return record_form(request, form, title, _back(zone), status)


@login_required
def contribution_create(request: HttpRequest, code: str) -> HttpResponse:
    zone = _fund_zone(request, code, "change")
    form = ContributionForm(request.POST or None, parties=fund.parties_of(zone))
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                fund.create_contribution(
                    actor=request.user,
                    zone=zone,
                    party=data["party"],
                    kind=data["kind"],
                    amount_fen=data["amount"],
                    date=data["date"],
                    reference=data["reference"],
                    description=data["description"],
                    note=data["note"],
                )
            except ServiceError as exc:
                status = refused(exc, form, {"amount_fen": "amount"})
            else:
                messages.success(request, _("Contribution recorded."))
                return redirect(_back(zone))
    title = _("Contribution to the fund of %(zone)s") % {"zone": text_for(zone, "name")}
    return record_form(request, form, title, _back(zone), status)


@login_required
def disbursement_create(request: HttpRequest, code: str) -> HttpResponse:
    zone = _fund_zone(request, code, "change")
    form = DisbursementForm(request.POST or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                fund.create_disbursement(
                    actor=request.user,
                    zone=zone,
                    purpose=data["purpose"],
                    name=data["name"],
                    name_en=data["name_en"],
                    amount_fen=data["amount"],
                    date=data["date"],
                    resolution=data["resolution"],
                    note=data["note"],
                )
            except ServiceError as exc:
                status = refused(exc, form, {"amount_fen": "amount"})
            else:
                messages.success(request, _("Disbursement recorded."))
                return redirect(_back(zone))
    title = _("Disbursement from the fund of %(zone)s") % {"zone": text_for(zone, "name")}
    return record_form(request, form, title, _back(zone), status)
