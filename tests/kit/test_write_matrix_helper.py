"""The write-permission helper itself (tongcheng/kit/write_matrix.py) fails when it should: a refusal that
writes anyway, an allowed write that writes nothing, a wrong status, a page that answers an anonymous
visitor without sending it to sign in. Synthetic views on a throw-away URL configuration stand in for a
module's writes."""

from __future__ import annotations

import pytest
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.test import Client, override_settings
from django.urls import path

from tongcheng.core.models import AuditEntry, User
from tongcheng.kit.write_matrix import LOGIN, Table, WriteCase, check_write_matrix, fingerprint

pytestmark = pytest.mark.django_db


def _write(request: HttpRequest) -> None:
    AuditEntry.objects.create(actor_name="helper", action="zone.update", object_type="x", object_id="1")


def allowed_view(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return JsonResponse({"code": "unauthenticated"}, status=401)
    _write(request)
    return JsonResponse({}, status=201)


def leaky_refusal(request: HttpRequest) -> HttpResponse:
    """Writes, then says 403: the bug the matrix exists to catch."""
    _write(request)
    return JsonResponse({"code": "forbidden"}, status=403)


def idle_success(request: HttpRequest) -> HttpResponse:
    return JsonResponse({}, status=201)


def page_without_login(request: HttpRequest) -> HttpResponse:
    return redirect("/somewhere/")


def page_with_login(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect("/login/?next=/page/")
    _write(request)
    return redirect("/done/")


urlpatterns = [
    path("allowed/", allowed_view),
    path("leaky/", leaky_refusal),
    path("idle/", idle_success),
    path("page-open/", page_without_login),
    path("page/", page_with_login),
    path("login/", idle_success, name="login"),  # settings.LOGIN_URL names it
]


@pytest.fixture
def clients(db) -> dict[str, Client]:
    signed_in = Client()
    signed_in.force_login(User.objects.get(username="office_pn"))
    return {"writer": signed_in, "anonymous": Client()}


def _case(url: str, writer, anonymous=LOGIN, api: bool = True) -> WriteCase:
    return WriteCase(
        name=url,
        method="POST",
        url=url,
        api=api,
        payload={"x": "1"},
        expected={"writer": writer, "anonymous": anonymous},
        tables=(AuditEntry,),
    )


@override_settings(ROOT_URLCONF=__name__)
def test_a_correct_write_passes(clients):
    """Given a view that writes for a signed-in user and answers 401 otherwise, when the matrix expects 201 and
    LOGIN, then the report is empty and records who wrote."""
    report = check_write_matrix(_case("/allowed/", 201), clients)
    assert not report, str(report)
    assert {a.role: a.written for a in report.attempts} == {"writer": True, "anonymous": False}
    assert report.observed() == {"writer": 201, "anonymous": 401}


@override_settings(ROOT_URLCONF=__name__)
def test_a_refusal_that_writes_fails(clients):
    """Given a view that writes and then answers 403, when the matrix expects 403, then the report names the
    write; and every attempt was rolled back (no entry is left behind)."""
    before = AuditEntry.objects.count()
    report = check_write_matrix(_case("/leaky/", 403, anonymous=403), clients)
    assert [a.problems for a in report.failures] == [("refused, yet the tables changed",)] * 2
    assert AuditEntry.objects.count() == before


@override_settings(ROOT_URLCONF=__name__)
def test_a_success_that_writes_nothing_fails(clients):
    """Given a view that answers 201 without writing, when the matrix expects 201, then the report says so."""
    report = check_write_matrix(_case("/idle/", 201, anonymous=201), clients)
    assert {a.role: a.problems for a in report.failures} == {
        "writer": ("nothing was written",),
        "anonymous": ("nothing was written",),
    }


@override_settings(ROOT_URLCONF=__name__)
def test_a_wrong_status_fails_and_says_what_came(clients):
    """Given the correct view, when the matrix expects 403 for the signed-in role, then the report names the
    status that came, and its text is a readable table."""
    report = check_write_matrix(_case("/allowed/", 403), clients)
    assert [(a.role, a.status, a.problems) for a in report.failures] == [
        ("writer", 201, ("status 201", "refused, yet the tables changed"))
    ]
    assert "writer: expected 403, got 201" in str(report)


@override_settings(ROOT_URLCONF=__name__)
def test_pages_must_send_anonymous_visitors_to_sign_in(clients):
    """Given a page that redirects anonymous visitors elsewhere than the sign-in page, when the matrix expects
    LOGIN, then it fails; the page that does send them to /login/ passes."""
    wrong = check_write_matrix(_case("/page-open/", 302, api=False), clients)
    assert [a.role for a in wrong.failures] == ["writer", "anonymous"]  # and the writer wrote nothing
    right = check_write_matrix(_case("/page/", 302, api=False), clients)
    assert not right, str(right)
    assert right.observed() == {"writer": 302, "anonymous": LOGIN}


@override_settings(ROOT_URLCONF=__name__)
def test_a_deviation_must_match_today_and_still_write_nothing(clients):
    """Given the leaky view and a deviation saying the writer gets 403 today where 404 is intended, when the
    matrix runs, then the status is accepted but the write is still reported."""
    case = WriteCase(
        name="leaky",
        method="POST",
        url="/leaky/",
        payload={},
        expected={"writer": 404, "anonymous": 403},
        deviations={"writer": 403},
        tables=(AuditEntry,),
    )
    report = check_write_matrix(case, clients)
    assert {a.role: a.problems for a in report.failures} == {
        "writer": ("refused, yet the tables changed",),
        "anonymous": ("refused, yet the tables changed",),
    }


def test_every_role_needs_a_client(clients):
    """Given an expectation naming a role without a client, when the matrix runs, then it refuses to start."""
    with pytest.raises(ValueError, match="roles"):
        check_write_matrix(_case("/allowed/", 201), {"writer": clients["writer"]})


def test_fingerprint_sees_a_column_change(demo_user):
    """Given a table watched by a column, when only that column changes, then the fingerprint differs; the
    default fingerprint (count, highest id) of a table without versions would not see it."""
    watched = (Table(User, ("language",)),)
    before, before_default = fingerprint(watched), fingerprint((User,))
    User.objects.filter(username="office_pn").update(language="en")
    assert fingerprint(watched) != before
    assert fingerprint((User,)) == before_default
