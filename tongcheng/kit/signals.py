"""Signals of the kit.

``service_committed`` is sent after a service's transaction commits, with the audit entry it wrote: the
hook for notifications (e-mail, messages, webhooks) of the modules."""

from django.dispatch import Signal

service_committed = Signal()
