"""Services for user accounts: language, personal API tokens."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ApiToken, User
from .base import NotFoundError, ValidationFailed, audit

__all__ = ["set_language", "create_api_token", "revoke_api_token", "hash_token", "TOKEN_PREFIX"]

TOKEN_PREFIX = "tc_"


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def set_language(*, actor: User, language: str) -> None:
    if language not in dict(settings.LANGUAGES):
        raise ValidationFailed(
            _("Unknown language %(language)s.") % {"language": language},
            code="invalid_choice",
            field="language",
        )
    if actor.language != language:
        User.objects.filter(pk=actor.pk).update(language=language)
        actor.language = language
        audit(actor, "user.set_language", actor, {"language": language})


@transaction.atomic
def create_api_token(*, actor: User, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """Returns the token row and the key; the key is shown once and only its hash is kept."""
    name = name.strip()
    if not name:
        raise ValidationFailed(_("This field is required."), code="required", field="name")
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=actor, name=name[:80], prefix=key[:10], key_hash=hash_token(key), expires_at=expires_at
    )
    audit(actor, "token.create", token, {"name": token.name})
    return token, key


@transaction.atomic
def revoke_api_token(*, actor: User, token_id: int) -> ApiToken:
    token = ApiToken.objects.filter(pk=token_id, user=actor, revoked_at__isnull=True).first()
    if token is None:
        raise NotFoundError()
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit(actor, "token.revoke", token, {"name": token.name})
    return token


def user_for_token(key: str) -> User | None:
    """The active user behind a token key, or None. Updates last use at most once a minute."""
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(key)).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
