"""The picker's search: the records of one kind a user may pick, by name, pinyin, initials or code, as JSON
for static/js/picker.js (a page without the script still works: the form looks the typed name up)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _

from tongcheng.kit.access import scope_of

from .. import pickers
from ..models import MetroArea

QUERY_MAX = 100


def _json(body: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


@login_required
def pick(request: HttpRequest) -> JsonResponse:
    """GET /pick/?kind=jurisdiction&q=pk[&scope=metro|territory][&action=change] → {"results": [{value, name,
    label}]}: at most 20, only what the user may see (or act on, with action=change)."""
    kind = request.GET.get("kind", "")
    action = request.GET.get("action", "view")
    scope = request.GET.get("scope", "")
    if kind not in pickers.KINDS:
        return _json(
            {"code": "invalid_choice", "message": _("Unknown kind of record."), "field": "kind"}, 400
        )
    if action not in pickers.ACTIONS:
        return _json({"code": "invalid_choice", "message": _("Unknown action."), "field": "action"}, 400)
    within = None
    if kind == "jurisdiction" and scope == "metro":
        within = [
            p for metro in MetroArea.objects.visible_to(request.user) for p in pickers.metro_paths(metro)
        ]
    elif kind == "jurisdiction" and scope == "territory" and not request.user.is_superuser:
        within = scope_of(request.user).office_territory()
    text = request.GET.get("q", "")[:QUERY_MAX]
    results = pickers.search(request.user, kind, text, within=within, action=action)
    return _json({"results": [c.as_dict() for c in results]})
