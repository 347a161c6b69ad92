"""Users, role grants on scopes, personal API tokens and login attempts (DESIGN.md "Access")."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.querysets import ScopedQuerySet

from .jurisdictions import Jurisdiction, MetroArea
from .organisations import Organisation
from .zones import AdjacentZone

__all__ = ["User", "Role", "RoleGrant", "ApiToken"]


class ScopedUserManager(UserManager.from_queryset(ScopedQuerySet)):  # type: ignore[misc]
    """Django's user manager with ``visible_to``."""


class User(AbstractUser):
    """A person who signs in. The preferred language is remembered here and applied on every request."""

    language = models.CharField(_("language"), max_length=10, blank=True, choices=settings.LANGUAGES)
    display_name = models.CharField(_("display name"), max_length=100, blank=True)

    objects = ScopedUserManager()

    class Meta(AbstractUser.Meta):
        ordering = ["username"]
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.display_name or self.username


class Role(models.TextChoices):
    OFFICE = "office", _("Same-city office")
    OFFICER = "officer", _("Department officer")
    CLERK = "clerk", _("Window clerk")
    FINANCE = "finance", _("Finance bureau")
    LEADER = "leader", _("Leader")
    AUDITOR = "auditor", _("Auditor")
    APPLICANT = "applicant", _("Applicant")


class RoleGrantQuerySet(ScopedQuerySet):
    def active(self, at=None):
        at = at or timezone.localdate()
        return self.filter(Q(valid_from__lte=at), Q(valid_to__isnull=True) | Q(valid_to__gt=at))


class RoleGrant(models.Model):
    """A role on exactly one scope: a metropolitan area, a zone, a jurisdiction (with its subtree) or an
    organisation (e.g. a service window)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    metro = models.ForeignKey(MetroArea, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    zone = models.ForeignKey(AdjacentZone, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    jurisdiction = models.ForeignKey(
        Jurisdiction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    valid_from = models.DateField(_("valid from"), default=timezone.localdate)
    valid_to = models.DateField(_("valid to (exclusive)"), null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RoleGrantQuerySet.as_manager()

    class Meta:
        ordering = ["user", "role"]
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.CheckConstraint(
                name="role_grant_one_scope",
                condition=(
                    Q(
                        metro__isnull=False,
                        zone__isnull=True,
                        jurisdiction__isnull=True,
                        organisation__isnull=True,
                    )
                    | Q(
                        metro__isnull=True,
                        zone__isnull=False,
                        jurisdiction__isnull=True,
                        organisation__isnull=True,
                    )
                    | Q(
                        metro__isnull=True,
                        zone__isnull=True,
                        jurisdiction__isnull=False,
                        organisation__isnull=True,
                    )
                    | Q(
                        metro__isnull=True,
                        zone__isnull=True,
                        jurisdiction__isnull=True,
                        organisation__isnull=False,
                    )
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_role_display()} @ {self.scope}"

    @property
    def scope(self):
        return self.metro or self.zone or self.jurisdiction or self.organisation


class ApiToken(models.Model):
    """A personal token for machine clients. Only a SHA-256 hash is stored; the key is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80)
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
