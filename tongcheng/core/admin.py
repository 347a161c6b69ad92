"""Django admin for administrators (superusers): a window onto reference data, accounts, grants and the
audit log. Every change to an audited record goes through its service (which checks the actor's scope and
writes the audit entry), so the admin shows those records read-only: it cannot add, change, delete or
revert them (django-simple-history's revert would otherwise save a form past the services).

Per model:
- read-only: jurisdictions, metropolitan areas and their members, zones and their members, organisations,
  people, API tokens, the audit log, and the role grants shown on each user (roles are given and withdrawn
  on the grants page, through services.grants);
- accounts (users) stay editable for what no service covers yet (creating an account, its password, names,
  activation), but an account cannot be deleted here (that would delete its grants without an audit
  entry: deactivate it instead) and its language is changed by its owner only (services.accounts);
- working-day overrides stay editable (no audited service writes them yet; simple-history keeps their
  history)."""

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from tongcheng.kit.admin import ReadOnly, ReadOnlyHistoryAdmin

from .models import (
    AdjacentZone,
    ApiToken,
    AuditEntry,
    Jurisdiction,
    MetroArea,
    MetroMember,
    Organisation,
    Person,
    RoleGrant,
    User,
    WorkdayOverride,
    ZoneMember,
)


@admin.register(Jurisdiction)
class JurisdictionAdmin(ReadOnlyHistoryAdmin):
    list_display = ("code", "name", "level", "kind", "valid_from", "valid_to", "successor")
    list_filter = ("level", "kind")
    search_fields = ("code", "name", "name_en")
    raw_id_fields = ("parent", "successor")


class MetroMemberInline(ReadOnly, admin.TabularInline):
    model = MetroMember
    raw_id_fields = ("jurisdiction",)
    extra = 0


@admin.register(MetroArea)
class MetroAreaAdmin(ReadOnlyHistoryAdmin):
    list_display = ("code", "name", "approved")
    inlines = [MetroMemberInline]


class ZoneMemberInline(ReadOnly, admin.TabularInline):
    model = ZoneMember
    raw_id_fields = ("jurisdiction", "party")
    extra = 0


@admin.register(AdjacentZone)
class AdjacentZoneAdmin(ReadOnlyHistoryAdmin):
    list_display = ("code", "name", "kind", "status", "established", "planning_area_km2")
    list_filter = ("kind", "status")
    search_fields = ("code", "name", "name_en")
    inlines = [ZoneMemberInline]


@admin.register(Organisation)
class OrganisationAdmin(ReadOnlyHistoryAdmin):
    list_display = ("key", "name", "kind", "jurisdiction", "zone", "synthetic")
    list_filter = ("kind", "synthetic")
    search_fields = ("key", "name", "name_en")
    raw_id_fields = ("jurisdiction", "zone", "parent")


@admin.register(Person)
class PersonAdmin(ReadOnlyHistoryAdmin):
    list_display = ("name", "organisation", "position", "synthetic")
    search_fields = ("name",)
    raw_id_fields = ("organisation", "user")
    # The ID number is not shown in lists; unmasking goes through the page, which records it.
    exclude = ("id_number",)


class RoleGrantInline(ReadOnly, admin.TabularInline):
    model = RoleGrant
    fk_name = "user"
    raw_id_fields = ("metro", "zone", "jurisdiction", "organisation", "granted_by")
    extra = 0


@admin.register(User)
class TongchengUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "is_active", "is_superuser", "language")
    fieldsets = (*UserAdmin.fieldsets, ("Tongcheng", {"fields": ("display_name", "language")}))
    readonly_fields = ("language",)
    inlines = [RoleGrantInline]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at")
    exclude = ("key_hash",)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnly, admin.ModelAdmin):
    list_display = ("at", "actor_name", "action", "object_type", "object_repr", "request_id")
    list_filter = ("action", "object_type")
    search_fields = ("actor_name", "object_repr", "request_id")


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(SimpleHistoryAdmin):
    list_display = ("day", "is_workday", "note")
