"""Django admin bases for audited models: the admin is a window for administrators, never a way past the
services (which check the actor's scope and write the audit entry). A module registers its audited models
with ``ReadOnlyHistoryAdmin`` (tracked models) or ``ReadOnly`` mixed into ``admin.ModelAdmin`` /
``admin.TabularInline``."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from simple_history.admin import SimpleHistoryAdmin

__all__ = ["ReadOnly", "ReadOnlyHistoryAdmin"]


class ReadOnly:
    """Look, never write: no add, change or delete (the view permission stays, for superusers)."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyHistoryAdmin(ReadOnly, SimpleHistoryAdmin):
    """A tracked model's admin with its history to look at, and no revert."""

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        # simple-history saves a posted historical form without asking has_change_permission.
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)
