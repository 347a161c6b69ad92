"""Documents and attachments: the worked examples of tongcheng.kit (a zone's PDF sheet, organisation documents)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from tongcheng.kit import documents
from tongcheng.kit.attachments import views as attachment_views
from tongcheng.kit.services import ServiceError, get_visible

from .. import selectors
from ..attachment_uses import ORGANISATION_DOCUMENT
from ..bilingual import is_english, text_for
from ..models import (
    AdjacentZone,
    Organisation,
)

# --- documents and attachments (worked examples of tongcheng.kit) ----------------------------------------


def _established_text(zone: AdjacentZone) -> str:
    if zone.established is None:
        return ""
    shown = {"month": "%Y-%m", "year": "%Y"}.get(zone.established_precision or "", "%Y-%m-%d")
    return zone.established.strftime(shown)


@login_required
def zone_sheet(request: HttpRequest, code: str) -> HttpResponse:
    """A printable fact sheet (PDF) of a zone: what the zone page shows, for the user who may see it."""
    try:
        zone = get_visible(selectors.zones(request.user), request.user, code=code)
    except ServiceError as exc:
        raise Http404 from exc
    parent = AdjacentZone.objects.visible_to(request.user).filter(pk=zone.parent_id).first()
    orgs = Organisation.objects.visible_to(request.user).filter(zone=zone).select_related("jurisdiction")
    facts = [
        (_("Code"), zone.code),
        (_("Kind"), zone.get_kind_display()),
        (_("Status"), zone.get_status_display()),
        (_("Metropolitan area"), text_for(zone.metro, "name")),
        (_("Established"), _established_text(zone)),
        (_("Planning area (km²)"), zone.planning_area_km2 if zone.planning_area_km2 is not None else "—"),
        (_("Start area (km²)"), zone.start_area_km2 if zone.start_area_km2 is not None else "—"),
    ]
    if parent is not None:
        facts.insert(3, (_("Part of"), text_for(parent, "name")))
    members = documents.Table(
        [_("Side"), _("Member"), _("Code"), _("Party"), _("Role")],
        [
            [
                text_for(m.party, "name"),  # the side is the party
                text_for(m.jurisdiction, "name"),
                m.jurisdiction.code,
                text_for(m.party, "name"),
                m.get_role_display(),
            ]
            for m in zone.members.all()
        ],
    )
    institutions = documents.Table(
        [_("Name"), _("Kind"), _("Jurisdiction")],
        [[text_for(o, "name"), o.get_kind_display(), text_for(o.jurisdiction, "name")] for o in orgs],
    )
    blocks: list[documents.Block] = [documents.Facts(facts)]
    if description := text_for(zone, "description"):
        blocks.append(description)
    printed = _("Printed by %(user)s on %(time)s") % {
        "user": str(request.user),
        "time": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
    }
    english = is_english()
    pdf = documents.pdf_document(
        text_for(zone, "name"),
        [("", blocks), (_("Members"), [members]), (_("Institutions"), [institutions])],
        subtitle=zone.name if english else zone.name_en,
        header=_("Zone fact sheet") + " · " + text_for(zone, "name"),
        footer=printed,
        author=str(request.user),
    )
    return documents.document_response(pdf, f"{zone.code}.pdf")


# CSRF is checked by the kit's upload page once permission and size are known (see organisation_import).
@csrf_exempt
@login_required
def organisation_documents(request: HttpRequest, key: str) -> HttpResponse:
    """Upload page of an organisation's documents (tongcheng.kit.attachments, use organisation.document)."""
    try:
        org = get_visible(Organisation, request.user, key=key)
    except ServiceError as exc:
        request.csrf_processing_done = True  # refused whatever the body holds: it stays unread
        raise Http404 from exc
    back_url = reverse("organisation_detail", args=[org.key])
    return attachment_views.upload_page(request, org, ORGANISATION_DOCUMENT.code, back_url)
