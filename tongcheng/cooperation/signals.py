"""Start-up registrations of the cooperation records (apps.CooperationConfig.ready): access rules, audited
actions and anchors, error codes, the project workflow, and the demo loader (core/demo.py calls it)."""

from tongcheng.core.demo import register_demo_loader

from . import audit_registry, error_registry, rules  # noqa: F401
from .demo import load_cooperation_demo
from .services import projects  # noqa: F401  (declares the project workflow)

register_demo_loader(load_cooperation_demo)
