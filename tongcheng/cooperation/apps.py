from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CooperationConfig(AppConfig):
    """S-B cooperation system: agreements, receipts, settlements (engine in ./engine)."""

    name = "tongcheng.cooperation"
    label = "cooperation"
    verbose_name = _("Cooperation")
    default_auto_field = "django.db.models.BigAutoField"
    # The demo's records and fund, then its agreements and receipts: loaded after core's registry by
    # core.demo.load_demo, in this order.
    demo_loaders = (
        "tongcheng.cooperation.demo.load_cooperation_demo",
        "tongcheng.cooperation.sharing.demo.load_sharing_demo",
        "tongcheng.cooperation.settlements.demo.load_settlement_demo",
    )
    # The small test demo holds only 浦口—南谯: its agreements and receipts.
    small_demo_loaders = (
        "tongcheng.cooperation.sharing.demo.load_sharing_demo",
        "tongcheng.cooperation.settlements.demo.load_settlement_demo",
    )

    def ready(self) -> None:
        from . import signals  # noqa: F401
        from .settlements import registry as settlement_registry  # noqa: F401
        from .settlements import rules as settlement_rules  # noqa: F401
        from .settlements import services as settlement_services  # noqa: F401

        # Agreements and imports: error codes, audited actions, access rules, the versions' workflow.
        from .sharing import registry, rules, services  # noqa: F401
