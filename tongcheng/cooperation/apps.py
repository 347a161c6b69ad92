from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    """S-B cooperation system: agreements, receipts, settlements (engine in ./engine)."""

    name = "tongcheng.cooperation"
    label = "cooperation"
    verbose_name = _("Cooperation")
    default_auto_field = "django.db.models.BigAutoField"
    # The demo's agreements and receipts, loaded after core's registry by core.demo.load_demo.
    demo_loader = "tongcheng.cooperation.sharing.demo.load_sharing_demo"

    def ready(self) -> None:
        # Agreements and imports: error codes, audited actions, access rules, the versions' workflow.
        from .sharing import registry, rules, services  # noqa: F401
