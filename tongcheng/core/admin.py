"""Django admin for administrators (superusers): reference data, accounts, grants and the audit log.
Domain staff work in the pages; the admin shows history on every tracked record."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

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
class JurisdictionAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "level", "kind", "valid_from", "valid_to", "successor")
    list_filter = ("level", "kind")
    search_fields = ("code", "name", "name_en")
    raw_id_fields = ("parent", "successor")


class MetroMemberInline(admin.TabularInline):
    model = MetroMember
    raw_id_fields = ("jurisdiction",)
    extra = 0


@admin.register(MetroArea)
class MetroAreaAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "approved")
    inlines = [MetroMemberInline]


class ZoneMemberInline(admin.TabularInline):
    model = ZoneMember
    raw_id_fields = ("jurisdiction", "party")
    extra = 0


@admin.register(AdjacentZone)
class AdjacentZoneAdmin(SimpleHistoryAdmin):
    list_display = ("code", "name", "kind", "established", "planning_area_km2")
    list_filter = ("kind",)
    search_fields = ("code", "name", "name_en")
    inlines = [ZoneMemberInline]


@admin.register(Organisation)
class OrganisationAdmin(SimpleHistoryAdmin):
    list_display = ("key", "name", "kind", "jurisdiction", "zone", "synthetic")
    list_filter = ("kind", "synthetic")
    search_fields = ("key", "name", "name_en")
    raw_id_fields = ("jurisdiction", "zone", "parent")


@admin.register(Person)
class PersonAdmin(SimpleHistoryAdmin):
    list_display = ("name", "organisation", "position", "synthetic")
    search_fields = ("name",)
    raw_id_fields = ("organisation", "user")
    # The ID number is not shown in lists; unmasking goes through the page, which records it.
    exclude = ("id_number",)


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    fk_name = "user"
    raw_id_fields = ("metro", "zone", "jurisdiction", "organisation", "granted_by")
    extra = 0


@admin.register(User)
class TongchengUserAdmin(UserAdmin):
    list_display = ("username", "display_name", "is_active", "is_superuser", "language")
    fieldsets = (*UserAdmin.fieldsets, ("Tongcheng", {"fields": ("display_name", "language")}))
    inlines = [RoleGrantInline]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("name", "user", "prefix", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "key_hash", "created_at", "last_used_at")


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ("at", "actor_name", "action", "object_type", "object_repr", "request_id")
    list_filter = ("action", "object_type")
    search_fields = ("actor_name", "object_repr", "request_id")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(WorkdayOverride)
class WorkdayOverrideAdmin(SimpleHistoryAdmin):
    list_display = ("day", "is_workday", "note")
