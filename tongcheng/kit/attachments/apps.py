from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class AttachmentsConfig(AppConfig):
    """One attachment model for every module (docs/kit/attachments.md)."""

    name = "tongcheng.kit.attachments"
    label = "kit_attachments"
    verbose_name = _("Attachments")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import rules  # noqa: F401 - registers the access rule and the audit anchors

        # Each app declares its uses in <app>/attachment_uses.py; importing them here makes every use known
        # before any request, API call or command runs.
        autodiscover_modules("attachment_uses")
