from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CalendarConfig(AppConfig):
    """Holiday schedules entered by the office, for the years the calendar package does not cover."""

    name = "tongcheng.core.calendar"
    label = "core_calendar"
    verbose_name = _("Working-day calendar")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import rules  # noqa: F401  (registers the access rules and the audit anchors)
