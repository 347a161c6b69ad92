from django.apps import AppConfig


class ScopeCacheConfig(AppConfig):
    """Holds the scope version that keys the cached scopes (see tongcheng.kit.access)."""

    name = "tongcheng.kit.scopecache"
    label = "kit_scopecache"
    verbose_name = "Scope cache"
    default_auto_field = "django.db.models.BigAutoField"
