"""Notifying users, and marking notifications read.

``notify`` is called by a service inside its transaction: the rows are written there, so a rolled-back
change notifies nobody, and the e-mails are sent only once the transaction has committed::

    @transaction.atomic
    def confirm_settlement(*, actor, settlement):
        ...
        audit(actor, "settlement.confirm", settlement)
        notify(
            office_users(settlement.zone),
            lambda: _("Settlement %(number)s confirmed by %(who)s") % {"number": ..., "who": ...},
            settlement.get_absolute_url(),
            anchor=settlement,
        )

The headline is rendered in each recipient's language: pass a callable (or a lazy translation) rather than a
string already translated into the actor's language. The caller chooses recipients who may see the linked
page; the page itself still checks ``visible_to`` when they follow the link."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import models, transaction
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from tongcheng.kit.auditing import anchors_of

from .models import Notification

__all__ = ["Headline", "mark_all_read", "mark_read", "notify"]

logger = logging.getLogger(__name__)

Headline = str | Promise | Callable[[], Any]
ANCHOR_FIELDS = ("zone_id", "metro_id", "jurisdiction_id", "organisation_id")


def _language_of(user: Any) -> str:
    return getattr(user, "language", "") or settings.LANGUAGE_CODE


def _render(title: Headline) -> str:
    text = title() if callable(title) else title
    # One line: it is an e-mail subject too, where a line break would be refused as header injection.
    return " ".join(str(text).split())[:300]


def _anchors(anchor: models.Model | dict[str, Any] | None) -> dict[str, Any]:
    if anchor is None:
        return {}
    values = anchor if isinstance(anchor, dict) else anchors_of(anchor)
    return {name: values[name] for name in ANCHOR_FIELDS if values.get(name) is not None}


def notify(
    recipients: Iterable[Any],
    title: Headline,
    link: str = "",
    anchor: models.Model | dict[str, Any] | None = None,
) -> list[Notification]:
    """Write one notification per active recipient (each in their language) in the caller's transaction, and
    e-mail those with an address once it commits. ``link`` is a path inside the app ("/jobs/12/")."""
    if link and (not link.startswith("/") or link.startswith("//")):
        raise ValueError("A notification links to a path inside the application, e.g. /jobs/12/")
    users = list({u.pk: u for u in recipients if u is not None and u.is_active}.values())
    if not users:
        return []
    anchors = _anchors(anchor)
    rows: list[Notification] = []
    mails: list[tuple[str, str, str]] = []
    for user in users:
        with translation.override(_language_of(user)):
            text = _render(title)
            rows.append(Notification(recipient=user, title=text, link=link, **anchors))
            if user.email:
                mails.append((user.email, text, _mail_body(text, link)))
    with transaction.atomic():
        Notification.objects.bulk_create(rows)
        if mails and getattr(settings, "TONGCHENG_NOTIFY_BY_EMAIL", True):
            # robust: a mail server that is down must not turn a committed change into an error page.
            transaction.on_commit(functools.partial(_send, mails), robust=True)
    return rows


def _mail_body(text: str, link: str) -> str:
    lines = [text, ""]
    if link:
        site = getattr(settings, "TONGCHENG_SITE_URL", "").rstrip("/")
        lines += [_("Open it in Tongcheng: %(url)s") % {"url": f"{site}{link}"}, ""]
    lines.append(_("You receive this message because you use Tongcheng. Do not reply to it."))
    return "\n".join(lines)


def _send(mails: list[tuple[str, str, str]]) -> None:
    messages = [EmailMessage(subject, body, None, [address]) for address, subject, body in mails]
    try:
        connection = get_connection()
        connection.send_messages(messages)
    except Exception:
        logger.exception("Notification e-mail to %d recipients could not be sent", len(messages))


@transaction.atomic
def mark_read(*, actor: Any, notification: Notification) -> bool:
    """Mark one of the actor's notifications read; False when it was read already."""
    return bool(
        Notification.objects.visible_to(actor, "mark_read")
        .filter(pk=notification.pk, read_at__isnull=True)
        .update(read_at=timezone.now())
    )


@transaction.atomic
def mark_all_read(*, actor: Any) -> int:
    return (
        Notification.objects.visible_to(actor, "mark_read")
        .filter(read_at__isnull=True)
        .update(read_at=timezone.now())
    )
