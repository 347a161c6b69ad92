from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkflowConfig(AppConfig):
    """Transition log, multi-party confirmations and number sequences shared by every module."""

    name = "tongcheng.kit.workflow"
    label = "kit_workflow"
    verbose_name = _("Workflows")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import rules  # noqa: F401  (registers the access rules of the log and the confirmations)
