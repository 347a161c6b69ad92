"""Property-based API check (issue 2 point 10, issue 7 point 10): schemathesis generates requests from the
OpenAPI schema for every operation, writes included, and sends them through the real WSGI handler as four
roles: office_pn and applicant_demo with a browser session (the path that may create tokens), officer_pukou
with an API token, and an anonymous caller. No request may produce a server error (5xx).

For each operation the examples mix schemathesis' valid and invalid inputs with valid inputs aimed at
records that exist (浦口—南谯, its office, the zone 溧水—博望 awaiting a decision, the role's own token), so
that writes reach the services and not only the 404 of a made-up code. Each example runs inside a
savepoint rolled back afterwards, so one example's writes never reach the next.

schemathesis 4 brings its own JSON Schema generator and declares the Hypothesis versions it works with
(pyproject.toml pins the pair); nothing is patched.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig

from tongcheng.api import api
from tongcheng.core.models import MetroArea, User
from tongcheng.core.services import accounts, zones

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

EXAMPLES = {"signed_in": 20, "anonymous": 6}
ROLES = {"office_pn": "session", "applicant_demo": "session", "officer_pukou": "token", "anonymous": None}


@pytest.fixture(autouse=True)
def job_files(settings, tmp_path):
    """A generated upload that is a table starts a job and stores its file: in a fresh directory, never in
    the tree's media/."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def wsgi_app():
    """The real WSGI handler, minus the per-request connection closing that would end the test transaction
    (Django's test client disconnects the same signals; on PostgreSQL the first request would otherwise
    close the connection that holds the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _credentials(role: str) -> tuple[dict[str, str], dict[str, str], int | None]:
    """(headers, cookies, id of a token of the role) for one role."""
    if ROLES[role] is None:
        return {}, {}, None
    user = User.objects.get(username=role)
    token, key = accounts.create_api_token(actor=user, name="schemathesis")
    if ROLES[role] == "token":
        return {"Authorization": f"Bearer {key}"}, {}, token.pk
    client = Client()
    client.force_login(user)
    # A browser's write carries the CSRF cookie and the same secret in the header (SessionAuth checks it).
    secret = _get_new_csrf_string()
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": secret}
    return {"X-CSRFToken": secret}, cookies, token.pk


def _proposal() -> None:
    """溧水—博望, proposed by office_jb (溧水 lies beyond its territory): approve and reject have a target."""
    zones.create_zone(
        actor=User.objects.get(username="office_jb"),
        metro=MetroArea.objects.get(code="nanjing"),
        code="lishui-bowang",
        name="溧水—博望",
        kind="cross_border_demo_zone",
        established=dt.date(2024, 6, 1),
        members=[zones.MemberSpec(code="320117"), zones.MemberSpec(code="340506")],
    )


def _known_parameters(operation, token_id: int | None) -> dict[str, object] | None:
    """Path parameters naming records that exist, for this operation; None when it takes none."""
    names = {p.name for p in operation.path_parameters}
    if not names:
        return None
    known: dict[str, object] = {}
    if "code" in names:
        if operation.path.endswith(("/approve", "/reject")):
            known["code"] = "lishui-bowang"
        elif "/jurisdictions/" in operation.path:
            known["code"] = "320111"
        elif "/cooperation/parks/" in operation.path:
            known["code"] = "pn-cobuilt-park"
        elif "/cooperation/projects/" in operation.path:
            known["code"] = "pn-huanuo"
        else:
            known["code"] = "pukou-nanqiao"
    if "key" in names:
        known["key"] = "pukou-nanqiao-office"
    if "token_id" in names and token_id is not None:
        known["token_id"] = token_id
    if "kind" in names:
        known["kind"] = "uscc"
    known.update(_cooperation_parameters(names))
    # Cooperation: 浦口—南谯's demo agreement, its draft version 2, and the receipts import.
    if "agreement" in names:
        known["agreement"] = "pn-park-district-share"
    if "number" in names:
        known["number"] = 2
    if "dataset" in names:
        known["dataset"] = "receipts"
    return known if set(known) == names else None


def _cooperation_parameters(names: set[str]) -> dict[str, object]:
    """The demo's 浦口—南谯 cooperation records, for the cooperation operations' path parameters."""
    from tongcheng.cooperation.models import Enterprise, Establishment, FundContribution, FundDisbursement

    known: dict[str, object] = {}
    if "credit_code" in names:
        known["credit_code"] = Enterprise.objects.get(name="华诺半导体").credit_code
    if "establishment_id" in names:
        known["establishment_id"] = Establishment.objects.filter(enterprise__name="华诺半导体").first().pk
    if "contribution_id" in names:
        known["contribution_id"] = FundContribution.objects.filter(zone__code="pukou-nanqiao").first().pk
    if "disbursement_id" in names:
        known["disbursement_id"] = FundDisbursement.objects.filter(zone__code="pukou-nanqiao").first().pk
    if "province" in names:
        known["province"] = "340000"
    return known


def _strategy(operation, token_id: int | None):
    strategies = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    known = _known_parameters(operation, token_id)
    if known:
        strategies.append(operation.as_strategy(GenerationMode.POSITIVE, path_parameters=known))
    return st.one_of(strategies)


def test_the_schema_lists_every_operation():
    """Given the API, when its OpenAPI schema is read, then it holds the operations this test fuzzes: every
    read and every write of core (so a test that found none would not pass silently)."""
    paths = api.get_openapi_schema()["paths"]
    methods = {(m.upper(), p) for p, item in paths.items() for m in item}
    assert {
        ("POST", "/api/v1/zones"),
        ("PATCH", "/api/v1/zones/{code}"),
        ("DELETE", "/api/v1/me/tokens/{token_id}"),
    } <= methods
    assert len(methods) >= 17


@pytest.mark.parametrize("role", list(ROLES))
def test_no_server_errors(wsgi_app, role):
    """Given one role (session, token or none) and a proposal awaiting a decision, when schemathesis sends
    generated requests, valid and invalid, to every operation of the API, reads and writes, each in a savepoint
    rolled back afterwards, then none answers with a 5xx."""
    _proposal()
    headers, cookies, token_id = _credentials(role)
    # The role's own credentials go with every request; generated ones (a random Bearer token, a random
    # session cookie) would only ever meet the 401 of a credential that does not work.
    config = SchemathesisConfig.from_dict({"generation": {"with-security-parameters": False}})
    schema = schemathesis.openapi.from_dict(api.get_openapi_schema(), config=config)
    schema.app = wsgi_app
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 17, [op.label for op in operations]
    examples = EXAMPLES["anonymous" if ROLES[role] is None else "signed_in"]
    failures: list[str] = []
    sent = 0
    answers: Counter[tuple[str, int]] = Counter()

    for operation in operations:

        @hsettings(
            max_examples=examples,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=_strategy(operation, token_id))
        def run(case):
            nonlocal sent
            savepoint = transaction.savepoint()
            try:
                response = case.call(headers=headers, cookies=cookies)
                sent += 1
                answers[(case.method.upper(), response.status_code)] += 1
                assert b"csrf_failed" not in response.content, "the session's writes lack their CSRF token"
                case.validate_response(response, checks=[not_a_server_error])
            finally:
                transaction.savepoint_rollback(savepoint)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.label}: {str(exc).splitlines()[:8]}")
    print(
        f"{role}: {sent} requests to {len(operations)} operations; (method, status): {sorted(answers.items())}"
    )
    assert sent >= len(operations) * 2, "hardly any request was sent"
    assert not failures, "\n".join(failures)
    writes_done = sum(n for (method, status), n in answers.items() if method != "GET" and status < 300)
    if role == "office_pn":  # an office may write: some generated writes must have reached the services
        assert writes_done > 0, answers
    if ROLES[role] is None:
        assert {status for _m, status in answers} <= {400, 401}, (
            answers
        )  # 400: refused before sign-in (e.g. a NUL)
