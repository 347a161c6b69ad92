"""Navigation by role: each entry names the roles that use it."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from tongcheng.core.scope import STAFF_ROLES
from tongcheng.kit.access import scope_of

NAV = [
    ("metro_map", _("Metropolitan area"), STAFF_ROLES),
    ("zone_list", _("Adjacent zones"), STAFF_ROLES),
    ("organisation_list", _("Organisations"), STAFF_ROLES),
    ("person_list", _("People"), STAFF_ROLES),
    ("coop_index", _("Cooperation"), STAFF_ROLES),
    ("jurisdiction_list", _("Jurisdictions"), STAFF_ROLES | {"applicant"}),
    ("audit_list", _("Audit log"), frozenset({"auditor", "office"})),
    ("calendar_list", _("Working-day calendar"), STAFF_ROLES),
    ("agreement_list", _("Cooperation agreements"), STAFF_ROLES),
    ("receipt_list", _("Tax receipts"), frozenset({"office", "auditor", "finance"})),
    ("job_list", _("Jobs"), STAFF_ROLES),
    ("grant_list", _("Role grants"), frozenset({"office"})),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    scope = scope_of(user)
    items = [
        {"url": reverse(name), "label": label, "active": request.path.startswith(reverse(name))}
        for name, label, roles in NAV
        if scope.superuser or scope.roles & set(roles)
    ]
    return {"nav_items": items, "user_roles": sorted(scope.roles)}


def language_switch(request):
    """The languages the header offers, each named in itself as settings.LANGUAGES spells it ("English" in
    the Chinese UI, "中文" in the English UI): Django's {% get_available_languages %} would translate the
    names into the current language ("英语")."""
    current = get_language()
    return {"language_switch": [(code, name) for code, name in settings.LANGUAGES if code != current]}
