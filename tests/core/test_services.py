"""Service behaviour seen through pages and API (issue 2, points 6, 8 and 11): refused stale edits, import of an
edited export, unmasking of ID numbers, history shown only to those allowed, and list pages whose query count
does not grow with the number of rows."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.conftest import DEMO_USERNAMES
from tests.core import test_write_matrix as writes
from tongcheng.core.models import AdjacentZone, AuditEntry, Organisation, Person, User
from tongcheng.core.testing import make_organisation
from tongcheng.core.validators import mask_id_number
from tongcheng.kit.testing import QueryBudget, assert_queries_flat, read_csv_export

pytestmark = pytest.mark.django_db


def _patch(client, url: str, body: dict):
    return client.patch(url, data=json.dumps(body), content_type="application/json")


# --- concurrent edits -------------------------------------------------------------------------------------


def test_concurrent_edit_second_writer_is_refused(client_for):
    """Given office_pn and office_metro both read 浦口—南谯 at the same version, when office_pn saves first and
    office_metro saves second with the version it read, then the second gets 409 stale_version and the
    database keeps the first writer's value."""
    first, second = client_for("office_pn"), client_for("office_metro")
    v1 = first.get("/api/v1/zones/pukou-nanqiao").json()["version"]
    assert second.get("/api/v1/zones/pukou-nanqiao").json()["version"] == v1
    won = _patch(first, "/api/v1/zones/pukou-nanqiao", {"version": v1, "description": "first writer"})
    assert won.status_code == 200 and won.json()["version"] == v1 + 1
    lost = _patch(second, "/api/v1/zones/pukou-nanqiao", {"version": v1, "description": "second writer"})
    assert lost.status_code == 409 and lost.json()["code"] == "stale_version"
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    assert zone.description == "first writer" and zone.version == v1 + 1
    assert AuditEntry.objects.filter(action="zone.update", object_id=str(zone.pk)).count() == 1


# --- import of an edited export ---------------------------------------------------------------------------


def _export(client) -> list[dict[str, str]]:
    response = client.get("/organisations/?export=csv")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return read_csv_export(response)


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


def _upload(client, rows, apply_good_rows: bool = False):
    data = {"file": SimpleUploadedFile("organisations.csv", _csv(rows), "text/csv")}
    if apply_good_rows:
        data["apply_good_rows"] = "on"
    return client.post("/organisations/import/", data)


def _error_rows(html: str) -> list[tuple[str, str]]:
    table = html.split('data-testid="import-errors"', 1)[1].split("</table>", 1)[0]
    cells = [c.split("</td>", 1)[0] for c in table.split("<td>")[1:]]
    return [(cells[i], cells[i + 1]) for i in range(0, len(cells), 3)]


def test_reimport_of_edited_export_updates_the_row(client_for):
    """Given the CSV export of organisations as office_metro, when one name is changed and the file uploaded,
    then exactly that organisation is updated (audit entry, version + 1) and every other row is unchanged."""
    client = client_for("office_metro")
    rows = _export(client)
    assert len(rows) == Organisation.objects.count()
    target = next(r for r in rows if r["key"] == "nanpu-co")
    target["name"] = "滁州南浦合作开发有限公司（改）"
    response = _upload(client, rows)
    assert response.status_code == 200
    assert 'data-testid="import-errors"' not in response.content.decode()
    org = Organisation.objects.get(key="nanpu-co")
    assert org.name == "滁州南浦合作开发有限公司（改）" and org.version == int(target["version"]) + 1
    assert AuditEntry.objects.filter(action="organisation.update").count() == 1
    assert Organisation.objects.filter(version__gt=1).count() == 1


@pytest.mark.parametrize("bad", ["unknown_key", "empty_name"])
def test_import_with_a_bad_row_writes_nothing(client_for, bad):
    """Given an edited export with one good change and one bad row (an unknown key, or an empty name), when it
    is uploaded, then the error names the row number (header = row 1) and the column, and nothing is written."""
    client = client_for("office_metro")
    rows = _export(client)
    rows[0]["name"] = rows[0]["name"] + "（改）"
    good_key = rows[0]["key"]
    if bad == "unknown_key":
        rows[3]["key"], column = "no-such-organisation", "key"
    else:
        rows[3]["name"], column = "", "name"
    html = _upload(client, rows).content.decode()
    assert ("5", column) in _error_rows(html)
    assert len(_error_rows(html)) == 1
    assert not Organisation.objects.get(key=good_key).name.endswith("（改）")
    assert not AuditEntry.objects.filter(action="organisation.update").exists()

    html = _upload(client, rows, apply_good_rows=True).content.decode()
    assert ("5", column) in _error_rows(html)
    assert Organisation.objects.get(key=good_key).name.endswith("（改）")
    assert AuditEntry.objects.filter(action="organisation.update").count() == 1


def test_import_cannot_touch_rows_outside_scope(client_for):
    """Given office_pn's own export, when a row of another zone (not in its export) is appended, then that row is
    reported as an unknown key and nothing is written."""
    client = client_for("office_pn")
    rows = _export(client)
    assert "jiangning-bowang-office" not in {r["key"] for r in rows}
    foreign = dict(rows[0], key="jiangning-bowang-office", name="hijacked")
    response = _upload(client, [*rows, foreign])
    assert response.status_code == 400
    assert _error_rows(response.content.decode()) == [(str(len(rows) + 2), "key")]
    assert Organisation.objects.get(key="jiangning-bowang-office").name != "hijacked"
    assert not AuditEntry.objects.filter(action="organisation.update").exists()


# --- ID numbers -------------------------------------------------------------------------------------------


def _demo_person(username: str) -> Person:
    return Person.objects.select_related("organisation").get(user__username=username)


@pytest.mark.parametrize("username", ["office_pn", "auditor_pn", "office_metro"])
def test_unmask_is_allowed_with_a_reason_and_recorded(client_for, username):
    """Given an office or auditor user who sees leader_pn's record, when it unmasks the ID number with a reason,
    then the full number is shown once and an AuditEntry person.unmask_id records actor, reason and request."""
    person = _demo_person("leader_pn")
    response = client_for(username).post(
        f"/people/{person.pk}/unmask/", {"reason": "核对身份"}, headers={"X-Request-Id": "req-unmask"}
    )
    assert response.status_code == 200
    assert person.id_number in response.content.decode()
    entry = AuditEntry.objects.get(action="person.unmask_id")
    assert entry.actor.username == username and entry.object_id == str(person.pk)
    assert entry.data == {"reason": "核对身份"} and entry.request_id == "req-unmask"


def test_unmask_requires_a_reason(client_for):
    """Given office_pn, when it asks to unmask without a reason, then it is sent back to the organisation page,
    whose message asks for the reason, and nothing is shown or recorded."""
    person = _demo_person("leader_pn")
    response = client_for("office_pn").post(
        f"/people/{person.pk}/unmask/", {"reason": "  "}, follow=True, headers={"Accept-Language": "en"}
    )
    assert response.redirect_chain == [(f"/organisations/{person.organisation.key}/", 302)]
    html = response.content.decode()
    assert "Give the reason for showing the full ID number." in html
    assert person.id_number not in html
    assert not AuditEntry.objects.filter(action="person.unmask_id").exists()


@pytest.mark.parametrize("username", ["leader_pn", "clerk_pukou", "finance_nanqiao", "officer_pukou"])
def test_unmask_refused_to_other_roles(client_for, username):
    """Given a role other than office/auditor that sees the person, when it posts an unmask with a reason, then
    the answer is the write matrix's for that role (403), the number is not shown, not even on the page the redirect leads to, and nothing is
    recorded."""
    person = _demo_person("office_pn")
    client = client_for(username)
    assert Person.objects.visible_to(User.objects.get(username=username)).filter(pk=person.pk).exists()
    response = client.post(f"/people/{person.pk}/unmask/", {"reason": "curious"})
    assert response.status_code == writes.EXPECTED["person_unmask_page"][username] == 403
    assert person.id_number not in response.content.decode()
    if response.status_code == 302:
        assert person.id_number not in client.get(response["Location"]).content.decode()
    assert not AuditEntry.objects.filter(action="person.unmask_id").exists()


def test_unmask_of_invisible_person_is_404(client_for):
    """Given office_jb does not see 浦口—南谯's people, when it posts an unmask for one, then 404, the same answer
    as for a person who does not exist, and nothing is recorded."""
    person = _demo_person("office_pn")
    client = client_for("office_jb")
    invisible = client.post(f"/people/{person.pk}/unmask/", {"reason": "x"})
    missing = client.post(f"/people/{Person.objects.order_by('-pk')[0].pk + 1000}/unmask/", {"reason": "x"})
    assert invisible.status_code == missing.status_code == 404
    assert person.id_number not in invisible.content.decode()
    assert not AuditEntry.objects.filter(action="person.unmask_id").exists()


@pytest.mark.parametrize("username", [*DEMO_USERNAMES, "admin"])
def test_pages_never_show_a_full_id_number(client_for, demo_user, username):
    """Given every demo role, when it opens every organisation page it can see, then no full ID number appears;
    the people it sees are shown in the masked 3201**********xxxx form."""
    client = client_for(username)
    user = demo_user(username)
    numbers = {p.id_number: mask_id_number(p.id_number) for p in Person.objects.exclude(id_number="")}
    assert numbers
    shown_people = 0
    for org in Organisation.objects.visible_to(user):
        response = client.get(f"/organisations/{org.key}/")
        assert response.status_code == 200, (username, org.key)
        html = response.content.decode()
        for number in numbers:
            assert number not in html, (username, org.key)
        for person in Person.objects.visible_to(user).filter(organisation=org).exclude(id_number=""):
            masked = numbers[person.id_number]
            assert f'data-testid="masked-id">{masked}<' in html, (username, org.key, person.pk)
            assert masked[:4] == person.id_number[:4] and masked[4:14] == "*" * 10
            shown_people += 1
    # Every role but the applicant (who sees no organisation) reaches someone: the loop checked something.
    assert (shown_people > 0) == (username != "applicant_demo"), shown_people


# --- history ----------------------------------------------------------------------------------------------

HISTORY_SHOWN = ["office_pn", "auditor_pn", "leader_pn", "office_metro", "admin"]
HISTORY_HIDDEN = [
    "officer_pukou",
    "officer_nanqiao",
    "clerk_pukou",
    "clerk_nanqiao",
    "finance_pukou",
    "finance_nanqiao",
]


@pytest.mark.parametrize("username", HISTORY_SHOWN + HISTORY_HIDDEN)
def test_history_on_zone_page_only_for_office_auditor_leader(client_for, username):
    """Given 浦口—南谯 edited once by office_pn, when each role that sees the zone opens its page, then the history
    (with the edit and its author) is shown to office, auditor and leader, and hidden from officer, clerk
    and finance."""
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    edited = _patch(
        client_for("office_pn"),
        "/api/v1/zones/pukou-nanqiao",
        {"version": zone.version, "description": "历史测试"},
    )
    assert edited.status_code == 200, edited.content
    response = client_for(username).get("/zones/pukou-nanqiao/")
    assert response.status_code == 200
    html = response.content.decode()
    if username in HISTORY_SHOWN:
        section = html.split('data-testid="history"', 1)[1]
        assert "历史测试" in section and "陈科长" in section  # the edit and its author (display name)
    else:
        assert 'data-testid="history"' not in html


# --- query counts of list pages ---------------------------------------------------------------------------

LIST_BUDGETS = {
    "organisations": QueryBudget("/organisations/?q=perf-org", 20),
    "organisations_export": QueryBudget("/organisations/?q=perf-org&export=csv", 12),
}


def _add_orgs(start: int, stop: int) -> None:
    for i in range(start, stop):
        make_organisation(
            "office_metro",
            key=f"perf-org-{i:03d}",
            name=f"perf-org {i}",
            jurisdiction="320111",
            zone="pukou-nanqiao" if i % 2 else None,
        )


@pytest.mark.parametrize("budget", list(LIST_BUDGETS), ids=str)
@pytest.mark.parametrize("username", ["office_metro", "office_pn", "clerk_pukou"])
def test_list_queries_do_not_grow_with_rows(client_for, budget, username):
    """Given 5 matching organisations, when the list page (and its export) is fetched, then adding rows (to 20 on
    the page, 50 for the export) runs the same number of queries, within the declared budget."""
    _add_orgs(0, 5)
    client = client_for(username)
    target = 20 if budget == "organisations" else 50  # the page shows 25 rows at most
    assert_queries_flat(client, LIST_BUDGETS[budget], lambda: _add_orgs(5, target))
    rows = read_csv_export(client.get("/organisations/?q=perf-org&export=csv"))
    assert len(rows) == target
