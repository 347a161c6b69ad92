"""The write-permission matrix of core (issue 7, point 10): every write of the API and of the pages, tried by
every demo role, admin and an anonymous visitor (tongcheng/kit/write_matrix.py).

Each table below says, per role, what the rules (core/rules.py, the services) call for: the success status
when the role may act (and then something is written), 403 when it sees the record but may not act, 404
when it does not see it, LOGIN for an anonymous caller (401 from the API, the sign-in page from a page),
and for every refusal, nothing written (a fingerprint of the touched tables is the same before and
after). Each attempt runs in a savepoint rolled back afterwards.

``deviations`` list the cells where today's pages answer otherwise than the rules call for (the coordinator
fixes the views; see docs/access-matrix.md, "Known deviations"): those attempts must answer exactly today's
status, and still write nothing. The same tables are written out in docs/access-matrix.md;
``test_the_document_mirrors_these_tables`` keeps the two equal.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.conftest import DEMO_USERNAMES
from tests.cooperation.records_write_cases import RECORD_EXPECTED, import_files, record_cases
from tongcheng.core import limits
from tongcheng.core.models import (
    AdjacentZone,
    ApiToken,
    AuditEntry,
    MetroArea,
    Organisation,
    Person,
    RoleGrant,
    User,
    ZoneMember,
)
from tongcheng.core.services import accounts, zones
from tongcheng.kit.jobs.models import Job
from tongcheng.kit.testing import read_csv_export
from tongcheng.kit.write_matrix import LOGIN, Outcome, Table, WriteCase, check_write_matrix

pytestmark = pytest.mark.django_db

ROLES = [*DEMO_USERNAMES, "admin", "anonymous"]
API = "/api/v1"
PROPOSAL = "lishui-bowang"  # proposed by office_jb in the fixture below: 溧水 lies beyond its territory


def outcomes(default: Outcome, **by_role: Outcome) -> dict[str, Outcome]:
    """role → outcome: the named roles, everyone else ``default``; anonymous is LOGIN unless named."""
    unknown = set(by_role) - set(ROLES)
    assert not unknown, f"not a demo role: {sorted(unknown)}"
    table = {role: by_role.get(role, default) for role in ROLES}
    table["anonymous"] = by_role.get("anonymous", LOGIN)
    return table


# Who reaches 浦口—南谯 (and the people of its office) without being able to edit it: its leader and auditor,
# and the officers, finance bureaus and windows of 浦口 and 南谯 (core/rules.py zone_rule, person_rule).
PN_READERS = (
    "leader_pn",
    "auditor_pn",
    "officer_pukou",
    "officer_nanqiao",
    "finance_pukou",
    "finance_nanqiao",
    "clerk_pukou",
    "clerk_nanqiao",
)
# Every staff role below the metropolitan-area office sees the metropolitan area (through its zones).
STAFF_WITHOUT_OFFICE = (
    *PN_READERS,
    "leader_jb",
    "auditor_jb",
    "officer_jiangning",
    "officer_bowang",
    "finance_jiangning",
    "finance_bowang",
    "clerk_jiangning",
    "clerk_bowang",
)
ORGANISATION_READERS = STAFF_WITHOUT_OFFICE  # they see organisations and may change none


def _each(roles: tuple[str, ...], outcome: Outcome) -> dict[str, Outcome]:
    return dict.fromkeys(roles, outcome)


# --- the expected outcomes: role → status --------------------------------------------------------------

EXPECTED: dict[str, dict[str, Outcome]] = {
    # API
    "zone_create_api": outcomes(
        403, office_metro=201, office_pn=201, admin=201, applicant_demo=404
    ),  # office_jb: 403, none of the members lies in its territory
    "zone_patch_api": outcomes(404, office_metro=200, office_pn=200, admin=200, **_each(PN_READERS, 403)),
    "zone_approve_api": outcomes(404, office_metro=200, admin=200, office_jb=403),
    "zone_reject_api": outcomes(404, office_metro=200, admin=200, office_jb=403),
    "token_create_api": outcomes(201),
    "token_revoke_api": outcomes(404, office_pn=204),  # office_pn's token: nobody else sees it
    "token_revoke_own_api": outcomes(204),
    # Every office may change some organisation, so its upload becomes a job (202); office_jb's rows are then
    # refused by the job ("no record you may change has this key"), as the page refuses them at once (400).
    "organisation_import_api": outcomes(
        404, office_metro=202, office_pn=202, office_jb=202, admin=202, **_each(ORGANISATION_READERS, 403)
    ),
    # pages
    "zone_create_page": outcomes(403, office_metro=302, office_pn=302, admin=302, applicant_demo=404),
    "zone_decide_page": outcomes(404, office_metro=302, admin=302, office_jb=403),
    "organisation_import_page": outcomes(
        404, office_metro=200, office_pn=200, admin=200, office_jb=400, **_each(ORGANISATION_READERS, 403)
    ),  # office_jb may change organisations, not this one: its row is "no record you may change" (400)
    "person_unmask_page": outcomes(
        404,
        office_metro=200,
        office_pn=200,
        auditor_pn=200,
        admin=200,
        **_each(tuple(r for r in PN_READERS if r != "auditor_pn"), 403),
    ),
    # The edit pages (issue 8): the zone's and the metropolitan area's offices; readers of the record 403.
    "zone_edit_page": outcomes(404, office_metro=302, office_pn=302, admin=302, **_each(PN_READERS, 403)),
    "organisation_create_page": outcomes(
        403, office_metro=302, office_pn=302, admin=302, applicant_demo=404
    ),  # office_jb: an office, but 浦口区 lies outside what it runs (the service's 403)
    "organisation_edit_page": outcomes(
        404, office_metro=302, office_pn=302, admin=302, **_each(PN_READERS, 403)
    ),
    "person_create_page": outcomes(404, office_metro=302, office_pn=302, admin=302, **_each(PN_READERS, 403)),
    "person_edit_page": outcomes(404, office_metro=302, office_pn=302, admin=302, **_each(PN_READERS, 403)),
    "token_create_page": outcomes(200),
    "token_revoke_page": outcomes(404, office_pn=302),
    "language_page": outcomes(302, anonymous=302),  # anonymous: a cookie, nothing stored
}

# The cooperation records and fund (tests/cooperation/records_write_cases.py).
EXPECTED.update(RECORD_EXPECTED)

# Where today's pages answer otherwise (role → today's status); each is listed in docs/access-matrix.md.
DEVIATIONS: dict[str, dict[str, Outcome]] = {}


# --- the data the writes need ---------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def job_files(settings, tmp_path):
    """The uploads of the jobs the import starts go to a fresh directory, never to the tree's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clients(db) -> dict[str, Client]:
    out = {}
    for role in ROLES:
        client = Client()
        if role != "anonymous":
            client.force_login(User.objects.get(username=role))
        out[role] = client
    return out


@pytest.fixture
def proposal(db) -> AdjacentZone:
    """溧水—博望, proposed by office_jb: 博望 is in its territory, 溧水 is not, so it awaits the metro office."""
    zone = zones.create_zone(
        actor=User.objects.get(username="office_jb"),
        metro=MetroArea.objects.get(code="nanjing"),
        code=PROPOSAL,
        name="溧水—博望",
        kind="cross_border_demo_zone",
        established=dt.date(2024, 6, 1),
        members=[zones.MemberSpec(code="320117"), zones.MemberSpec(code="340506")],
    )
    assert zone.status == "proposed"
    return zone


@pytest.fixture
def pn_token(db) -> ApiToken:
    token, _key = accounts.create_api_token(actor=User.objects.get(username="office_pn"), name="pn")
    return token


def _own_token(role: str) -> int:
    """Inside the attempt: a token of the role itself (for anonymous, someone's token)."""
    owner = User.objects.get(username="office_pn" if role == "anonymous" else role)
    return accounts.create_api_token(actor=owner, name=f"own {role}")[0].pk


def _zone_payload() -> dict:
    # Both members lie in 浦口—南谯's territory: its office may define it (and becomes its office).
    return {
        "metro": "nanjing",
        "name": "浦口—南谯 二期",
        "name_en": "Pukou-Nanqiao II",
        "code": "matrix-zone",
        "kind": "cross_border_demo_zone",
        "established": "2024-06-01",
        "members": [{"code": "320111"}, {"code": "341103"}],
    }


def _zone_form() -> dict:
    body = _zone_payload()
    form = {k: body[k] for k in ("name", "name_en", "code", "kind", "established")}
    form.update(
        {
            "planning_area_km2": "",
            "description": "",
            "members-TOTAL_FORMS": "2",
            "members-INITIAL_FORMS": "0",
            "members-MIN_NUM_FORMS": "0",
            "members-MAX_NUM_FORMS": "1000",
            "members-0-code": "320111",
            "members-0-side": "",
            "members-0-role": "partner",
            "members-1-code": "341103",
            "members-1-side": "",
            "members-1-role": "partner",
        }
    )
    return form


def _pn_version(role, prepared) -> dict:
    return {"version": AdjacentZone.objects.get(code="pukou-nanqiao").version, "description": "matrix"}


def _zone_edit_form(role, prepared) -> dict:
    """浦口—南谯's edit page as sent: its fields, its two members by code, a new description (no parent:
    the zone office does not see 宁滁, the zone it is part of, so its form leaves the link alone)."""
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    members = list(zone.members.select_related("jurisdiction").order_by("jurisdiction__code"))
    form = {
        "name": zone.name,
        "name_en": zone.name_en,
        "kind": zone.kind,
        "established": zone.established.isoformat(),
        "description": "矩阵",
        "version": str(zone.version),
        "members-TOTAL_FORMS": str(len(members)),
        "members-INITIAL_FORMS": str(len(members)),
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
    }
    for i, m in enumerate(members):
        form.update({f"members-{i}-code": m.jurisdiction.code, f"members-{i}-role": m.role})
    return form


def _organisation_edit_form(role, prepared) -> dict:
    org = Organisation.objects.get(key="pukou-nanqiao-office")
    return {"name": org.name + "（矩阵）", "kind": org.kind, "version": str(org.version)}


def _person_edit_form(person_pk: int):
    def build(role, prepared) -> dict:
        person = Person.objects.get(pk=person_pk)
        return {"name": person.name, "position": "矩阵", "version": str(person.version)}

    return build


def _import_file(client: Client) -> bytes:
    """office_metro's export, cut to the row of 浦口—南谯同城办, with its name edited."""
    rows = [
        r
        for r in read_csv_export(client.get("/organisations/?export=csv"))
        if r["key"] == "pukou-nanqiao-office"
    ]
    assert len(rows) == 1
    rows[0]["name"] = rows[0]["name"] + "（矩阵）"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()


ZONE_TABLES = (AdjacentZone, ZoneMember, RoleGrant, AuditEntry, AdjacentZone.history.model)
TOKEN_TABLES = (Table(ApiToken, ("revoked_at",)), AuditEntry)
ORGANISATION_TABLES = (Organisation, Organisation.history.model, AuditEntry)
PERSON_TABLES = (Person, Person.history.model, AuditEntry)


def cases(
    pn_token_id: int, person_pk: int, import_file: bytes, record_files: dict[str, bytes] | None = None
) -> list[WriteCase]:
    def case(name: str, **kwargs) -> WriteCase:
        return WriteCase(name=name, expected=EXPECTED[name], deviations=DEVIATIONS.get(name, {}), **kwargs)

    return [
        case(
            "zone_create_api",
            route="/api/v1/zones",
            method="POST",
            url=f"{API}/zones",
            payload=_zone_payload(),
            tables=ZONE_TABLES,
        ),
        case(
            "zone_patch_api",
            route="/api/v1/zones/{code}",
            method="PATCH",
            url=f"{API}/zones/pukou-nanqiao",
            payload=_pn_version,
            tables=ZONE_TABLES,
        ),
        case(
            "zone_approve_api",
            route="/api/v1/zones/{code}/approve",
            method="POST",
            url=f"{API}/zones/{PROPOSAL}/approve",
            payload={"note": ""},
            tables=ZONE_TABLES,
        ),
        case(
            "zone_reject_api",
            route="/api/v1/zones/{code}/reject",
            method="POST",
            url=f"{API}/zones/{PROPOSAL}/reject",
            payload={"note": "重复"},
            tables=ZONE_TABLES,
        ),
        case(
            "token_create_api",
            route="/api/v1/me/tokens",
            method="POST",
            url=f"{API}/me/tokens",
            payload={"name": "m"},
            tables=TOKEN_TABLES,
        ),
        case(
            "token_revoke_api",
            route="/api/v1/me/tokens/{token_id}",
            method="DELETE",
            url=f"{API}/me/tokens/{pn_token_id}",
            tables=TOKEN_TABLES,
        ),
        case(
            "token_revoke_own_api",
            route="/api/v1/me/tokens/{token_id}",
            method="DELETE",
            prepare=_own_token,
            url=lambda role, token_id: f"{API}/me/tokens/{token_id}",
            tables=TOKEN_TABLES,
        ),
        case(
            "organisation_import_api",
            route="/api/v1/organisations/import",
            method="POST",
            form=True,
            url=f"{API}/organisations/import",
            payload=lambda role, p: {
                "file": SimpleUploadedFile("organisations.csv", import_file, "text/csv")
            },
            # The request writes the job (its upload stored); the job itself runs after the commit.
            tables=(Job, Organisation, Organisation.history.model, AuditEntry),
        ),
        case(
            "zone_create_page",
            route="/zones/new/",
            method="POST",
            api=False,
            url="/zones/new/",
            payload=_zone_form(),
            tables=ZONE_TABLES,
        ),
        case(
            "zone_decide_page",
            route="/zones/{code}/decide/",
            method="POST",
            api=False,
            url=f"/zones/{PROPOSAL}/decide/",
            payload={"decision": "approve", "note": ""},
            tables=ZONE_TABLES,
        ),
        case(
            "organisation_import_page",
            route="/organisations/import/",
            method="POST",
            api=False,
            url="/organisations/import/",
            payload=lambda role, p: {
                "file": SimpleUploadedFile("organisations.csv", import_file, "text/csv")
            },
            tables=(Organisation, Organisation.history.model, AuditEntry),
        ),
        case(
            "person_unmask_page",
            route="/people/{pk}/unmask/",
            method="POST",
            api=False,
            url=f"/people/{person_pk}/unmask/",
            payload={"reason": "核对身份"},
            tables=(Person, AuditEntry),
        ),
        case(
            "zone_edit_page",
            route="/zones/{code}/edit/",
            method="POST",
            api=False,
            url="/zones/pukou-nanqiao/edit/",
            payload=_zone_edit_form,
            tables=ZONE_TABLES,
        ),
        case(
            "organisation_create_page",
            route="/organisations/new/",
            method="POST",
            api=False,
            url="/organisations/new/",
            payload={
                "key": "matrix-org",
                "name": "矩阵机构",
                "kind": "government_department",
                "jurisdiction": "浦口区",
                "jurisdiction_code": "320111",
            },
            tables=ORGANISATION_TABLES,
        ),
        case(
            "organisation_edit_page",
            route="/organisations/{key}/edit/",
            method="POST",
            api=False,
            url="/organisations/pukou-nanqiao-office/edit/",
            payload=_organisation_edit_form,
            tables=ORGANISATION_TABLES,
        ),
        case(
            "person_create_page",
            route="/organisations/{key}/people/new/",
            method="POST",
            api=False,
            url="/organisations/pukou-nanqiao-office/people/new/",
            payload={"name": "矩阵", "position": "科员"},
            tables=PERSON_TABLES,
        ),
        case(
            "person_edit_page",
            route="/people/{pk}/edit/",
            method="POST",
            api=False,
            url=f"/people/{person_pk}/edit/",
            payload=_person_edit_form(person_pk),
            tables=PERSON_TABLES,
        ),
        case(
            "token_create_page",
            route="/me/tokens/",
            method="POST",
            api=False,
            url="/me/tokens/",
            payload={"name": "m", "expires_in_days": str(limits.TOKEN_EXPIRY_DAYS_DEFAULT)},
            tables=TOKEN_TABLES,
        ),
        case(
            "token_revoke_page",
            route="/me/tokens/",
            method="POST",
            api=False,
            url="/me/tokens/",
            payload={"revoke": str(pn_token_id)},
            tables=TOKEN_TABLES,
        ),
        case(
            "language_page",
            route="/language/",
            method="POST",
            api=False,
            url="/language/",
            payload={"language": "en", "next": "/zones/"},
            tables=(Table(User, ("language",)), AuditEntry),
            writes=lambda role: role != "anonymous",
        ),
        *record_cases(record_files),
    ]


@pytest.fixture
def write_cases(clients, proposal, pn_token) -> dict[str, WriteCase]:
    person = Person.objects.get(user__username="leader_pn")
    import_file = _import_file(clients["office_metro"])
    record_files = import_files(clients["office_metro"])
    return {c.name: c for c in cases(pn_token.pk, person.pk, import_file, record_files)}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_write_matrix(write_cases, clients, name):
    """Given the demo (with a zone proposed by office_jb and a token of office_pn), when the write is tried by
    every demo role, admin and an anonymous visitor, each in a savepoint, then each gets the status of its
    table row and the tables change exactly when the write is allowed."""
    report = check_write_matrix(write_cases[name], clients)
    assert not report, str(report)


def test_every_write_has_a_table():
    """Given the tables, when they are compared with the cases, then every case has a table and every table a
    case, and every table names every role."""
    names = [c.name for c in cases(0, 0, b"")]
    assert sorted(names) == sorted(EXPECTED)
    for name, table in EXPECTED.items():
        assert set(table) == set(ROLES), name
