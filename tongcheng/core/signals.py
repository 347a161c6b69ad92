"""Core's start-up registrations (see apps.CoreConfig.ready): the access rules and the scope loader, and
the audited actions with the anchors of core's records."""

from tongcheng.kit.access import set_scope_loader

from . import audit_registry, audit_words, error_registry, rules  # noqa: F401
from .scope import ANONYMOUS, load_scope

set_scope_loader(load_scope, anonymous=ANONYMOUS)
