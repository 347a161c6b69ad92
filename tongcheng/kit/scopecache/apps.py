from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core import checks


class ScopeCacheConfig(AppConfig):
    """Holds the scope version that keys the cached scopes (see tongcheng.kit.access) and the data versions
    that key the cached lists (see tongcheng.kit.pagecache)."""

    name = "tongcheng.kit.scopecache"
    label = "kit_scopecache"
    verbose_name = "Scope cache"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db import connections
        from django.db.backends.signals import connection_created
        from django.db.models.signals import post_migrate, pre_migrate

        from tongcheng.kit import pagecache

        connection_created.connect(pagecache.install_tracking, dispatch_uid="tongcheng-data-versions")
        for connection in connections.all(initialized_only=True):
            pagecache.install_tracking(connection)
        pre_migrate.connect(pagecache.forget_installed, dispatch_uid="tongcheng-data-versions-pre")
        post_migrate.connect(_after_migrate, sender=self, dispatch_uid="tongcheng-data-versions-post")
        checks.register(_middleware_installed)


def _after_migrate(using: str = "default", **_kwargs: Any) -> None:
    """A migration may have changed rows behind the ORM (SQL operations): every cached list is dropped."""
    from tongcheng.kit import pagecache

    pagecache.forget_installed()
    pagecache.bump_data_versions(using=using)


def _middleware_installed(**_kwargs: Any) -> list[checks.CheckMessage]:
    """Cached pages are rendered with a placeholder CSRF token that the middleware fills in."""
    if getattr(settings, "TONGCHENG_PAGE_CACHE", "default") and (
        "tongcheng.kit.pagecache.PageCacheMiddleware" not in settings.MIDDLEWARE
    ):
        return [
            checks.Error(
                "TONGCHENG_PAGE_CACHE is on but tongcheng.kit.pagecache.PageCacheMiddleware is not in MIDDLEWARE.",
                hint="Add it after django.middleware.csrf.CsrfViewMiddleware, or set TONGCHENG_PAGE_CACHE = None.",
                id="tongcheng.E010",
            )
        ]
    return []
