"""An honest large import completes in one request (issue 6, point 5): validation and writes run in batches
through the service, so the number of queries does not follow the number of rows."""

from __future__ import annotations

import csv
import io
import time

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tongcheng.core.models import AdjacentZone, AuditEntry, Jurisdiction, Organisation
from tongcheng.kit.testing import read_csv_export


def _create(count: int) -> None:
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    pukou = Jurisdiction.objects.current().get(code="320111")
    Organisation.objects.bulk_create(
        [
            Organisation(
                key=f"bulk-{i:05d}", name=f"批量 {i}", kind="service_window", jurisdiction=pukou, zone=zone
            )
            for i in range(count)
        ]
    )


def _upload(client, rows: list[dict[str, str]]):
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    content = ("\ufeff" + out.getvalue()).encode()
    with CaptureQueriesContext(connection) as queries:
        started = time.monotonic()
        response = client.post(
            "/organisations/import/", {"file": SimpleUploadedFile("o.csv", content, "text/csv")}
        )
        elapsed = time.monotonic() - started
    return response, len(queries), elapsed


def test_3000_row_import_runs_a_bounded_number_of_queries(client_for):
    """Given 3,000 organisations in office_metro's scope, when the CSV export with every name changed is
    imported (after a 300-row import of the same kind), then every row is updated with its own version step,
    audit entry and history row, and the 3,000-row import runs at most one query more per 20 extra rows than
    the 300-row one (on PostgreSQL exactly as many: the batches are not split there)."""
    _create(3000)
    client = client_for("office_metro")
    rows = read_csv_export(client.get("/organisations/?q=bulk-&export=csv"))
    assert len(rows) == 3000
    for row in rows[:300]:
        row["name"] += "（一）"
    response, q300, t300 = _upload(client, rows[:300])
    assert response.status_code == 200, response.content.decode()[:3000]

    rows = read_csv_export(client.get("/organisations/?q=bulk-&export=csv"))
    for row in rows:
        row["name"] += "（二）"
    response, q3000, t3000 = _upload(client, rows)
    assert response.status_code == 200, response.content.decode()[:3000]
    print(f"queries: 300 rows {q300} in {t300:.2f}s, 3000 rows {q3000} in {t3000:.2f}s")

    assert Organisation.objects.filter(key__startswith="bulk-", name__endswith="（一）（二）").count() == 300
    assert Organisation.objects.filter(key__startswith="bulk-", name__endswith="（二）").count() == 3000
    assert Organisation.objects.filter(key__startswith="bulk-", version=3).count() == 300
    assert Organisation.objects.filter(key__startswith="bulk-", version=2).count() == 2700
    assert AuditEntry.objects.filter(action="organisation.update").count() == 3300
    org = Organisation.objects.get(key="bulk-00000")
    assert org.history.count() == 2  # the bulk creation wrote none; one per import
    assert q3000 <= q300 + (3000 - 300) // 20
    if connection.features.max_query_params is None:
        # A fixed number of queries per batch of rows, none per row: 3000 rows are more batches than 300.
        # (SQLite also splits each batch by its limit on query parameters: the bound above covers it.)
        batches = -(-3000 // settings.TONGCHENG_IMPORT_BATCH_ROWS)
        assert q3000 <= q300 * batches


def test_batched_import_keeps_the_version_check(client_for):
    """Given an export taken before another edit of one organisation, when it is imported with that row
    changed, then the stale row is refused as a version conflict on its row and nothing is written."""
    _create(30)
    client = client_for("office_metro")
    rows = read_csv_export(client.get("/organisations/?q=bulk-&export=csv"))
    Organisation.objects.filter(key="bulk-00007").update(version=5)
    for row in rows:
        row["name"] += "（改）"
    response, _queries, _elapsed = _upload(client, rows)
    assert response.status_code == 400
    row_number = 2 + next(i for i, r in enumerate(rows) if r["key"] == "bulk-00007")  # header is row 1
    assert f"<td>{row_number}</td><td>version</td>" in response.content.decode()
    assert not Organisation.objects.filter(name__endswith="（改）").exists()
    assert not AuditEntry.objects.filter(action="organisation.update").exists()


def test_batched_update_refuses_each_row_by_permission(demo_user):
    """Given office_pn, when it updates in one batch an organisation of its zone and one of jiangning-bowang
    (which it cannot see), then the second row is refused as not found and nothing is written; with
    apply_valid the first row alone is written. Given officer_pukou, who sees but may not change its
    district's organisations, a row of those is refused as forbidden."""
    from tongcheng.core.services.organisations import OrganisationUpdate, update_organisations
    from tongcheng.kit.services import ForbiddenError, NotFoundError

    own = Organisation.objects.filter(zone__code="pukou-nanqiao").first()
    foreign = Organisation.objects.get(key="jiangning-bowang-office")
    updates = [
        OrganisationUpdate(own, {"description": "批量"}, own.version),
        OrganisationUpdate(foreign, {"description": "批量"}, foreign.version),
    ]
    result = update_organisations(actor=demo_user("office_pn"), updates=updates)
    assert isinstance(result.errors[1], NotFoundError) and not result.written
    assert not Organisation.objects.filter(description="批量").exists()
    assert not AuditEntry.objects.filter(action="organisation.update").exists()

    result = update_organisations(actor=demo_user("office_pn"), updates=updates, apply_valid=True)
    assert result.written and result.changed == 1 and set(result.errors) == {1}
    assert list(Organisation.objects.filter(description="批量")) == [own]
    assert AuditEntry.objects.filter(action="organisation.update").count() == 1

    seen = Organisation.objects.visible_to(demo_user("officer_pukou")).exclude(pk=own.pk).first()
    result = update_organisations(
        actor=demo_user("officer_pukou"), updates=[OrganisationUpdate(seen, {"description": "x"}, None)]
    )
    assert isinstance(result.errors[0], ForbiddenError) and not result.written


def test_overlong_name_is_a_row_error(client_for):
    """Given an export with one name longer than the 150 characters a name may have, when it is imported,
    then the answer is 400 with the error on that row's name (not a 500), and nothing is written."""
    _create(3)
    client = client_for("office_metro")
    rows = read_csv_export(client.get("/organisations/?q=bulk-&export=csv"))
    rows[1]["name"] = "长" * 151
    response, _queries, _elapsed = _upload(client, rows)
    assert response.status_code == 400
    assert "<td>3</td><td>name</td>" in response.content.decode()
    assert not AuditEntry.objects.filter(action="organisation.update").exists()
