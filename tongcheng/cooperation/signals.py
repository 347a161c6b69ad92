"""Start-up registrations of the cooperation records (apps.CooperationConfig.ready): access rules, audited
actions and anchors, error codes, the project workflow (the demo loaders are named on the app's config)."""

from . import audit_registry, error_registry, rules  # noqa: F401
from .services import projects  # noqa: F401  (declares the project workflow)
