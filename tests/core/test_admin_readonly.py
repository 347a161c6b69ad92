"""The Django admin cannot bypass the services (issue 7, point 2).

Given the administrator (a superuser), then for every audited model the admin still lists and shows the
records, but adding, changing, deleting and reverting to an old version are refused (403) and write
nothing: no row, no history record, no audit entry. Roles shown on an account cannot be added there, and
an account cannot be deleted (which would delete its grants without an audit entry)."""

from __future__ import annotations

import pytest
from django.contrib import admin

from tongcheng.core.models import (
    AdjacentZone,
    ApiToken,
    AuditEntry,
    Jurisdiction,
    MetroArea,
    Organisation,
    Person,
    RoleGrant,
    User,
)
from tongcheng.core.services import accounts

# Needs nothing beyond one zone and its roles: the small demo is enough (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.small_demo]

ZONE = "pukou-nanqiao"


@pytest.fixture
def admin_client(client_for):
    return client_for("admin")


def snapshot() -> dict:
    """Everything an admin write could touch."""
    zone = AdjacentZone.objects.get(code=ZONE)
    return {
        "zone": AdjacentZone.objects.filter(code=ZONE).values().get(),
        "zone_history": zone.history.count(),
        "members": list(zone.members.values_list("pk", "jurisdiction_id", "side", "role")),
        "zones": AdjacentZone.objects.count(),
        "grants": list(RoleGrant.objects.order_by("pk").values_list("pk", "role", "valid_to")),
        "audit": AuditEntry.objects.count(),
        "users": User.objects.count(),
    }


def _zone_form(zone: AdjacentZone, **changes) -> dict:
    data = {
        "metro": zone.metro_id,
        "code": zone.code,
        "name": zone.name,
        "name_en": zone.name_en,
        "kind": zone.kind,
        "established": zone.established.isoformat(),
        "established_precision": zone.established_precision,
        "status": zone.status,
        "description": zone.description,
        "sources": "[]",
        "version": zone.version,
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
    }
    return {**data, **changes}


def test_a_posted_zone_change_form_changes_nothing(admin_client):
    """Given the zone's change form, when the administrator posts a new name, then the answer is 403 and the
    zone, its history and the audit log are as before; the changelist and the (read-only) form still open."""
    zone = AdjacentZone.objects.get(code=ZONE)
    before = snapshot()
    response = admin_client.post(
        f"/admin/core/adjacentzone/{zone.pk}/change/", _zone_form(zone, name="改名", name_en="Renamed")
    )
    assert response.status_code == 403
    assert snapshot() == before
    assert admin_client.get("/admin/core/adjacentzone/").status_code == 200
    page = admin_client.get(f"/admin/core/adjacentzone/{zone.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content  # shown, not editable


def test_adding_and_deleting_a_zone_are_refused(admin_client):
    zone = AdjacentZone.objects.get(code=ZONE)
    before = snapshot()
    assert admin_client.get("/admin/core/adjacentzone/add/").status_code == 403
    added = admin_client.post("/admin/core/adjacentzone/add/", _zone_form(zone, code="admin-made"))
    assert added.status_code == 403
    deleted = admin_client.post(f"/admin/core/adjacentzone/{zone.pk}/delete/", {"post": "yes"})
    assert deleted.status_code == 403
    bulk = admin_client.post(
        "/admin/core/adjacentzone/",
        {"action": "delete_selected", "_selected_action": [zone.pk], "post": "yes"},
    )
    assert bulk.status_code in {200, 302}  # the changelist answers "no such action"
    assert snapshot() == before


def test_reverting_to_an_old_version_is_refused(admin_client):
    """django-simple-history's revert form saves whatever is posted to it: it is refused too."""
    zone = AdjacentZone.objects.get(code=ZONE)
    old = zone.history.order_by("history_id").first()
    before = snapshot()
    url = f"/admin/core/adjacentzone/{zone.pk}/history/{old.history_id}/"
    assert admin_client.get(f"/admin/core/adjacentzone/{zone.pk}/history/").status_code == 200
    response = admin_client.post(url, _zone_form(zone, name="回退", name_en="Reverted"))
    assert response.status_code == 403
    assert snapshot() == before


def _token() -> ApiToken:
    token, _key = accounts.create_api_token(
        actor=User.objects.get(username="office_pn"), name="t", expires_in_days=30
    )
    return token


READ_ONLY = [
    ("jurisdiction", lambda: Jurisdiction.objects.get(code="320111", valid_to__isnull=True)),
    ("metroarea", lambda: MetroArea.objects.get(code="nanjing")),
    ("adjacentzone", lambda: AdjacentZone.objects.get(code=ZONE)),
    ("organisation", lambda: Organisation.objects.get(key="fin-pukou")),
    ("person", lambda: Person.objects.first()),
    ("apitoken", _token),
    ("auditentry", lambda: AuditEntry.objects.first() or _token() and AuditEntry.objects.first()),
]


@pytest.mark.parametrize(("model", "record"), READ_ONLY, ids=[m for m, _r in READ_ONLY])
def test_every_audited_model_is_read_only_in_the_admin(admin_client, model, record):
    """Given a record of each audited model, when the administrator opens its admin, then the list and the
    record show (200) while adding, changing and deleting are 403, and nothing is written."""
    obj = record()
    before = (snapshot(), obj._meta.model.objects.count())
    base = f"/admin/core/{model}/"
    assert admin_client.get(base).status_code == 200
    assert admin_client.get(f"{base}{obj.pk}/change/").status_code == 200
    assert admin_client.get(f"{base}add/").status_code == 403
    assert admin_client.post(f"{base}add/", {}).status_code == 403
    assert admin_client.post(f"{base}{obj.pk}/change/", {}).status_code == 403
    assert admin_client.post(f"{base}{obj.pk}/delete/", {"post": "yes"}).status_code == 403
    assert (snapshot(), obj._meta.model.objects.count()) == before
    model_admin = admin.site._registry[type(obj)]
    for inline in model_admin.inlines:
        assert not inline(type(obj), admin.site).has_add_permission(None, obj)


def _user_form(user: User, **extra) -> dict:
    grants = list(RoleGrant.objects.filter(user=user))
    data = {
        "username": user.username,
        "first_name": "",
        "last_name": "",
        "email": "",
        "is_active": "on",
        "display_name": user.display_name,
        "date_joined_0": user.date_joined.date().isoformat(),
        "date_joined_1": "00:00:00",
        "grants-TOTAL_FORMS": str(len(grants) + 1),
        "grants-INITIAL_FORMS": str(len(grants)),
        "grants-MIN_NUM_FORMS": "0",
        "grants-MAX_NUM_FORMS": "1000",
    }
    for index, grant in enumerate(grants):
        data[f"grants-{index}-id"] = grant.pk
        data[f"grants-{index}-user"] = user.pk
        data[f"grants-{index}-role"] = "office"  # an attempt to raise the existing grant
    new = len(grants)
    data.update(
        {
            f"grants-{new}-user": user.pk,
            f"grants-{new}-role": "office",
            f"grants-{new}-metro": MetroArea.objects.get(code="nanjing").pk,
            f"grants-{new}-valid_from": "2020-01-01",
        }
    )
    return {**data, **extra}


def test_an_account_is_edited_but_its_roles_are_not(admin_client):
    """Given officer_pukou's account, when the administrator saves it with a changed display name and, in
    the roles shown on it, a raised role and a new office role on the whole metropolitan area, then the
    account is saved (accounts have no service yet) but no role is added or changed, and no audit entry
    is needed; the language (changed only by its owner, audited) stays as it was."""
    user = User.objects.get(username="officer_pukou")
    grants_before = list(
        RoleGrant.objects.order_by("pk").values_list("pk", "user_id", "role", "metro_id", "valid_to")
    )
    response = admin_client.post(
        f"/admin/core/user/{user.pk}/change/", _user_form(user, display_name="浦口区 孙（改）", language="en")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    user.refresh_from_db()
    assert user.display_name == "浦口区 孙（改）"
    assert user.language != "en"
    assert list(
        RoleGrant.objects.order_by("pk").values_list("pk", "user_id", "role", "metro_id", "valid_to")
    ) == (grants_before)


def test_an_account_cannot_be_deleted_in_the_admin(admin_client):
    """Deleting an account would delete its grants with it, past services.grants and the audit log."""
    user = User.objects.get(username="officer_pukou")
    before = snapshot()
    assert admin_client.post(f"/admin/core/user/{user.pk}/delete/", {"post": "yes"}).status_code == 403
    assert snapshot() == before


def test_working_day_overrides_stay_editable(admin_client):
    """Not audited (no service writes them yet): the admin is still how an administrator enters them."""
    assert admin_client.get("/admin/core/workdayoverride/add/").status_code == 200
