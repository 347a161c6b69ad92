"""Property-based API check (issue 2, point 10): schemathesis generates requests from /api/v1/openapi.json and
calls the WSGI app as office_metro (API token); no request may produce a server error.

Every GET endpoint plus POST and PATCH of zones; few examples each (runtime well under a minute). Each
example runs inside a savepoint rolled back afterwards, so generated zones never leak into the next one.
"""

from __future__ import annotations

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis.internal.conjecture import utils as conjecture_utils
from schemathesis.checks import not_a_server_error

from tongcheng.core.services.accounts import create_api_token

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = 25
WRITES = {("POST", "/api/v1/zones"), ("PATCH", "/api/v1/zones/{code}")}


def _many_more(self) -> bool:
    """The pre-6.16x ``many.more()`` on top of the iterator API that replaced it."""
    iterator = self.__dict__.get("_compat_iterator")
    if iterator is None:
        self.__enter__()
        iterator = self._compat_iterator = iter(self)
    try:
        next(iterator)
    except StopIteration:
        self.__exit__(None)
        return False
    return True


@pytest.fixture
def hypothesis_compat():
    """Environment problem, not an app bug: hypothesis-jsonschema 0.23 (used by schemathesis 3.x) calls
    ``many(...).more()``, which the installed Hypothesis no longer has. Shim it for this test only; drop the
    shim once the test dependencies pin a compatible pair (see the report)."""
    many = conjecture_utils.many
    if hasattr(many, "more"):
        yield
        return
    many.more = _many_more
    try:
        yield
    finally:
        del many.more


@pytest.fixture
def wsgi_app():
    """The real WSGI handler, minus the per-request connection closing that would end the test transaction
    (Django's test client disconnects the same signals)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield WSGIHandler()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _selected(operation) -> bool:
    return operation.method.upper() == "GET" or (operation.method.upper(), operation.path) in WRITES


def test_no_server_errors(client, demo_user, wsgi_app, hypothesis_compat):
    """Given office_metro's API token, when schemathesis sends up to 25 generated requests to every GET endpoint
    and to POST/PATCH zones, then none answers with a 5xx."""
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200, "the OpenAPI document itself is a server error"
    # Django's test client reconnects close_old_connections when its request ends; on PostgreSQL that
    # would close the test transaction's connection at the first generated request.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    # Ninja emits OpenAPI 3.1; schemathesis 3.x tests it with its 3.0 machinery when told to.
    schema = schemathesis.from_dict(response.json(), app=wsgi_app, force_schema_version="30")
    _token, key = create_api_token(actor=demo_user("office_metro"), name="schemathesis")
    headers = {"Authorization": f"Bearer {key}"}
    operations = [result.ok() for result in schema.get_all_operations()]
    operations = [op for op in operations if _selected(op)]
    assert len(operations) >= 10, [op.verbose_name for op in operations]
    failures: list[str] = []

    for operation in operations:

        @hsettings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            database=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case):
            savepoint = transaction.savepoint()
            try:
                result = case.call_wsgi(headers=headers)
                case.validate_response(result, checks=(not_a_server_error,))
            finally:
                transaction.savepoint_rollback(savepoint)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them together
            failures.append(f"{operation.verbose_name}: {str(exc).splitlines()[0:6]}")
    assert not failures, "\n".join(failures)
