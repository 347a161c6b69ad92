"""Signals of the core app. Access rules register themselves on import (see apps.CoreConfig.ready).

``service_committed`` is sent after a service's transaction commits, with the ``AuditEntry`` it wrote:
the hook for notifications (e-mail, messages, webhooks) of later modules."""

from django.dispatch import Signal

from . import rules  # noqa: F401

service_committed = Signal()
