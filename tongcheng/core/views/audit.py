"""The audit log page, in words."""

from __future__ import annotations

import dataclasses

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from tongcheng.kit.audit_text import entry_lines, format_time, object_type_label
from tongcheng.kit.audit_text import who as audit_who
from tongcheng.kit.auditing import action_label
from tongcheng.kit.listing import Column, DateRange, Filter, ListSpec, cached_list_page, render_list

from .. import selectors

# --- history and audit -----------------------------------------------------------------------------------


def _audit_actor_choices(user) -> list[tuple[str, str]]:
    rows = (
        selectors.audit_entries(user)
        .order_by("actor_name")
        .values_list("actor_name", "actor__display_name")
        .distinct()
    )
    choices: dict[str, str] = {}
    for name, display_name in rows:
        if name in {"", "system"}:
            choices.setdefault(name, _("system"))
        else:
            choices[name] = f"{display_name} ({name})" if display_name else name
    return list(choices.items())


def _audit_type_choices(user) -> list[tuple[str, str]]:
    types = selectors.audit_entries(user).order_by("object_type").values_list("object_type", flat=True)
    return sorted(((t, object_type_label(t)) for t in types.distinct()), key=lambda choice: choice[1])


AUDIT_LIST = ListSpec(
    title=gettext_lazy("Audit log"),
    columns=[
        Column("at", gettext_lazy("Time"), sort="at", value=lambda e: format_time(e.at)),
        Column("actor_name", gettext_lazy("Who"), sort="actor_name", value=audit_who),
        Column(
            "action",
            pgettext_lazy("what an audit entry records", "Action"),
            sort="action",
            value=lambda e: action_label(e.action),
        ),
        Column("object_type", gettext_lazy("Object type"), value=lambda e: object_type_label(e.object_type)),
        Column("object_repr", pgettext_lazy("the record an audit entry is about", "Object")),
        # One line per change on the page; the export holds the same lines in one cell.
        Column(
            "changes",
            gettext_lazy("What changed"),
            value=lambda e: "\n".join(entry_lines(e)),
            display=entry_lines,
        ),
    ],
    search_fields=[
        "object_repr__icontains",
        "actor_name__icontains",
        "actor__display_name__icontains",
        "request_id",
    ],
    filters=[
        Filter("actor", gettext_lazy("Who"), "actor_name", _audit_actor_choices),
        Filter(
            "action",
            pgettext_lazy("what an audit entry records", "Action"),
            "action",
            lambda user: [
                (a, action_label(a))
                for a in selectors.audit_entries(user)
                .order_by("action")
                .values_list("action", flat=True)
                .distinct()
            ],
        ),
        Filter("type", gettext_lazy("Object type"), "object_type", _audit_type_choices),
    ],
    date_ranges=[DateRange("date", gettext_lazy("Date"), "at")],
    default_sort="-at",
    export_name="audit",
)
# The request id joins an entry to the server's logs (the 500 page shows it): support staff need it in the
# export, a reader of the page does not. The search box finds the entries of one request by its id.
AUDIT_EXPORT = dataclasses.replace(
    AUDIT_LIST, columns=[*AUDIT_LIST.columns, Column("request_id", gettext_lazy("Request id"))]
)


def _for_reader(spec: ListSpec, user) -> ListSpec:
    """The page names linked records (a zone's parent, an organisation's zone) in the reader's language, and
    only those the reader may see; the export keeps its own words (kit.listing)."""
    columns = [
        dataclasses.replace(c, display=lambda e: entry_lines(e, user)) if c.name == "changes" else c
        for c in spec.columns
    ]
    return dataclasses.replace(spec, columns=columns)


@login_required
@cached_list_page
def audit_list(request: HttpRequest) -> HttpResponse:
    spec = AUDIT_EXPORT if request.GET.get("export") else _for_reader(AUDIT_LIST, request.user)
    qs = selectors.audit_entries(request.user).select_related("actor")
    return render_list(request, qs, spec, template="core/audit_list.html")
