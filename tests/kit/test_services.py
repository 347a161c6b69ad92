"""The service helpers of the kit: the version is never optional, and a deliberate overwrite is explicit."""

from __future__ import annotations

import pytest
from django.db import transaction

from tongcheng.core.models import Organisation, User
from tongcheng.core.services import organisations
from tongcheng.kit.services import OVERWRITE, ConflictError, ValidationFailed

pytestmark = pytest.mark.django_db


def office():
    return User.objects.get(username="office_pn")


def test_a_write_without_the_version_it_was_based_on_is_refused():
    """Given an organisation, when an edit names no version, then it is refused (422 version_required) and
    nothing changes."""
    org = Organisation.objects.get(key="fin-pukou")
    with pytest.raises(ValidationFailed) as refused, transaction.atomic():
        organisations.update_organisation(
            actor=office(), organisation=org, changes={"name_en": "X"}, expected_version=None
        )
    assert refused.value.code == "version_required" and refused.value.field == "version"
    assert Organisation.objects.get(pk=org.pk).name_en == org.name_en


def test_a_stale_version_is_refused_and_an_explicit_overwrite_is_not():
    org = Organisation.objects.get(key="fin-pukou")
    with pytest.raises(ConflictError), transaction.atomic():
        organisations.update_organisation(
            actor=office(), organisation=org, changes={"name_en": "X"}, expected_version=org.version + 5
        )
    with transaction.atomic():
        organisations.update_organisation(
            actor=office(), organisation=org, changes={"name_en": "X"}, expected_version=OVERWRITE
        )
    assert Organisation.objects.get(pk=org.pk).name_en == "X"


def test_an_import_row_without_a_version_is_a_row_error(client_for):
    """Given an export edited in a spreadsheet whose version cell was cleared, when it is imported, then
    that row is refused with the version column named and nothing is written."""
    org = Organisation.objects.get(key="fin-pukou")
    body = f"key,name,version\nfin-pukou,{org.name}（改）,\n".encode()
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for("office_pn").post(
        "/organisations/import/",
        {"file": SimpleUploadedFile("orgs.csv", body, content_type="text/csv")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert b"version" in response.content
    assert Organisation.objects.get(pk=org.pk).name == org.name


def test_a_deliberate_overwrite_is_in_the_audit_entry():
    from tongcheng.core.models import AuditEntry

    org = Organisation.objects.get(key="fin-pukou")
    with transaction.atomic():
        organisations.update_organisation(
            actor=office(), organisation=org, changes={"name_en": "Y"}, expected_version=OVERWRITE
        )
    entry = AuditEntry.objects.filter(action="organisation.update", object_id=str(org.pk)).latest("id")
    assert entry.data["overwrite"] is True and entry.data["changes"]["name_en"][1] == "Y"


@pytest.mark.parametrize("key", ["fin-pukou", "a-key-nobody-has"])
def test_a_create_outside_the_scope_does_not_reveal_whether_the_key_exists(key):
    """Given 江宁—博望's office, when it tries to create an organisation in 浦口区 (outside its territory)
    under a key that exists there (fin-pukou) or under a new key, then both are refused alike (403, the same
    message): the refusal never tells an outsider that fin-pukou exists. Nothing is written."""
    from tongcheng.core.models import Jurisdiction
    from tongcheng.kit.services import ForbiddenError

    before = Organisation.objects.count()
    with pytest.raises(ForbiddenError) as refused:
        organisations.create_organisation(
            actor=User.objects.get(username="office_jb"),
            key=key,
            name="测试机构",
            kind="government_department",
            jurisdiction=Jurisdiction.objects.current().get(code="320111"),
        )
    assert refused.value.code == "forbidden" and "exists" not in str(refused.value.message)
    assert Organisation.objects.count() == before


def test_inside_the_scope_a_duplicate_key_is_named():
    from tongcheng.core.models import Jurisdiction

    with pytest.raises(ValidationFailed) as refused:
        organisations.create_organisation(
            actor=office(),
            key="fin-pukou",
            name="测试机构",
            kind="government_department",
            jurisdiction=Jurisdiction.objects.current().get(code="320111"),
        )
    assert refused.value.code == "duplicate_key" and refused.value.field == "key"


@pytest.mark.parametrize("field", ["name", "name_en"])
def test_an_over_long_value_is_refused_by_name_before_anything_reaches_the_database(field):
    """Given the metropolitan-area office, when it creates an organisation whose name (a column of at most
    its field's length) is far too long, then the refusal names the field — PostgreSQL never sees the value,
    which it would refuse with an error (a 500) — and nothing is written."""
    from django.core.exceptions import ValidationError

    from tongcheng.core.models import Jurisdiction

    before = Organisation.objects.count()
    values = {"name": "测试机构", "name_en": ""}
    values[field] = "长" * (Organisation._meta.get_field(field).max_length + 50)
    with pytest.raises((ValidationError, ValidationFailed)) as refused:
        organisations.create_organisation(
            actor=office(),
            key="an-over-long-name",
            kind="government_department",
            jurisdiction=Jurisdiction.objects.current().get(code="320111"),
            **values,
        )
    error = refused.value
    named = error.message_dict if isinstance(error, ValidationError) else {error.field: error.message}
    assert field in named
    assert Organisation.objects.count() == before
