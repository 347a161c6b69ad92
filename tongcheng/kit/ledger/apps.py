from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    name = "tongcheng.kit.ledger"
    label = "kit_ledger"
    verbose_name = _("Ledgers")
    default_auto_field = "django.db.models.BigAutoField"
