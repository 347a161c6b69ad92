"""The list of people (人员) of the organisations a user sees: the page, its export, and (core/api.py) the API
list, all from one declaration. ID numbers are only ever shown masked here; showing one whole is the
audited unmasking on the organisation's page."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy

from tongcheng.kit.access import scope_of, window_rows_q
from tongcheng.kit.filters import Code, Mine
from tongcheng.kit.listing import Column, ListSpec, cached_list_page, render_list

from .. import selectors
from ..bilingual import text_for
from ..scope import STAFF_ROLES
from ..validators import mask_id_number

PERSON_LIST = ListSpec(
    title=gettext_lazy("People"),
    columns=[
        Column("name", gettext_lazy("Name"), sort="name_sort"),
        Column(
            "organisation",
            gettext_lazy("Organisation"),
            sort="organisation__name_sort",
            value=lambda p: p.organisation.key,
            display=lambda p: text_for(p.organisation, "name"),
        ),
        Column("organisation_name", gettext_lazy("Organisation name"), value=lambda p: p.organisation.name),
        Column("position", gettext_lazy("Position"), sort="position"),
        Column(
            "id_number",
            gettext_lazy("ID number"),
            value=lambda p: mask_id_number(p.id_number) if p.id_number else "",
        ),
    ],
    search_fields=["name__icontains", "position__icontains"],
    filters=[
        Code("organisation", gettext_lazy("Organisation key"), "organisation__key"),
        Mine(
            "mine",
            gettext_lazy("My role"),
            lambda user: window_rows_q(scope_of(user), "organisation_id", roles=STAFF_ROLES),
            choice_label=gettext_lazy("In organisations where I hold a role"),
        ),
    ],
    default_sort="name",
    export_name="people",
    detail_url=lambda p: reverse("organisation_detail", args=[p.organisation.key]),
)


@login_required
@cached_list_page
def person_list(request: HttpRequest) -> HttpResponse:
    return render_list(request, selectors.people(request.user), PERSON_LIST)
