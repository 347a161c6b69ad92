"""Notifications (issue 7, point 4): written in the service's transaction and e-mailed after its commit, never
for a rolled-back change; the bell's unread count; the page that only its recipient reads."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext_lazy

from tongcheng.core.models import AdjacentZone
from tongcheng.kit import pagecache
from tongcheng.kit.notifications.models import Notification
from tongcheng.kit.notifications.services import notify

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_mail(demo_user):
    """office_pn (Chinese) and office_jb (English) with e-mail addresses."""
    pn, jb = demo_user("office_pn"), demo_user("office_jb")
    type(pn).objects.filter(pk=pn.pk).update(email="pn@example.gov.cn", language="zh-hans")
    type(jb).objects.filter(pk=jb.pk).update(email="jb@example.gov.cn", language="en")
    pn.refresh_from_db()
    jb.refresh_from_db()
    return pn, jb


def test_delivered_on_commit_in_each_recipients_language(with_mail, django_capture_on_commit_callbacks):
    """Given two recipients who read Chinese and English, when a service notifies them inside its transaction,
    then the rows exist at once (unread, anchored on the zone), no e-mail leaves before the commit, and after
    it each recipient gets one e-mail in their own language with the link to the page."""
    pn, jb = with_mail
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    with django_capture_on_commit_callbacks(execute=True) as callbacks, transaction.atomic():
        rows = notify([pn, jb, pn], gettext_lazy("Background jobs"), "/jobs/", anchor=zone)
        assert len(rows) == 2
        assert Notification.objects.filter(read_at__isnull=True, zone=zone, link="/jobs/").count() == 2
        assert mail.outbox == []
    # One delivery callback (the data-version markers of kit/pagecache.py are bookkeeping, not deliveries).
    assert len([c for c in callbacks if not pagecache.is_marker(c)]) == 1
    assert sorted((m.to[0], m.subject) for m in mail.outbox) == [
        ("jb@example.gov.cn", "Background jobs"),
        ("pn@example.gov.cn", "后台任务"),
    ]
    english = next(m for m in mail.outbox if m.to == ["jb@example.gov.cn"])
    assert "http://127.0.0.1:8000/jobs/" in english.body
    assert Notification.objects.get(recipient=pn).title == "后台任务"


def test_nothing_written_or_sent_on_rollback(with_mail, django_capture_on_commit_callbacks):
    """Given a service that notifies and then fails, when its transaction rolls back, then no notification row
    is left and no e-mail is sent."""
    pn, _jb = with_mail
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        notify([pn], "结算已确认", "/jobs/")
        assert Notification.objects.filter(recipient=pn).count() == 1
        raise RuntimeError("the service failed after notifying")
    assert callbacks == []
    assert Notification.objects.filter(recipient=pn).count() == 0
    assert mail.outbox == []


def test_a_mail_server_that_fails_does_not_undo_the_change(
    with_mail, settings, django_capture_on_commit_callbacks, caplog
):
    """Given a mail server that refuses, when a notification commits, then the row stays and the failure is
    logged instead of raised."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 1
    pn, _jb = with_mail
    with django_capture_on_commit_callbacks(execute=True):
        notify([pn], "结算已确认", "/jobs/")
    assert Notification.objects.filter(recipient=pn).count() == 1
    assert "could not be sent" in caplog.text


def test_links_stay_inside_the_application(demo_user):
    """A notification cannot point to another site (it would be a phishing link in an official e-mail)."""
    for link in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        with pytest.raises(ValueError):
            notify([demo_user("office_pn")], "x", link)


def test_bell_shows_the_unread_count_with_one_query(demo_user, client_for):
    """Given three notifications of office_pn, one read, when it opens a page, then the bell shows 2 and the
    count cost one query of the notification table; a user with none sees no number."""
    user = demo_user("office_pn")
    notify([user], "一", "/jobs/")
    notify([user], "二", "/jobs/")
    notify([user], "三", "/jobs/")
    Notification.objects.filter(recipient=user, title="一").update(read_at="2026-01-01T00:00:00Z")
    client = client_for("office_pn")
    with CaptureQueriesContext(connection) as queries:
        html = client.get("/zones/").content.decode()
    assert 'data-testid="bell-count">2<' in html
    counted = [q["sql"] for q in queries if "kit_notifications_notification" in q["sql"]]
    assert len(counted) == 1, counted
    assert 'data-testid="bell-count"' not in client_for("office_jb").get("/zones/").content.decode()


def test_pages_and_marking_read_are_the_recipients_alone(demo_user, client_for):
    """Given a notification of office_pn, then office_pn reads it (200), opens it (marked read, sent to its
    link) and marks all read; office_jb gets 404 when marking it read and changes nothing, and does not see
    it listed; an anonymous visitor is sent to sign in; marking read is POST only."""
    pn = demo_user("office_pn")
    first, second = notify([pn], "第一条", "/jobs/")[0], notify([pn], "第二条", "/notifications/")[0]

    other = client_for("office_jb")
    assert other.post(f"/notifications/{first.pk}/read/").status_code == 404
    assert "第一条" not in other.get("/notifications/").content.decode()
    other.post("/notifications/read-all/")
    assert Notification.objects.filter(recipient=pn, read_at__isnull=True).count() == 2

    anonymous = client_for(None)
    for url, method in (("/notifications/", "get"), (f"/notifications/{first.pk}/read/", "post")):
        response = getattr(anonymous, method)(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")

    owner = client_for("office_pn")
    page = owner.get("/notifications/")
    assert page.status_code == 200 and "第一条" in page.content.decode()
    assert owner.get(f"/notifications/{first.pk}/read/").status_code == 405
    response = owner.post(f"/notifications/{first.pk}/read/", {"open": "1"})
    assert response.status_code == 302 and response["Location"] == "/jobs/"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert owner.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=pn, read_at__isnull=True).exists()
