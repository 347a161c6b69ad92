"""Services for user accounts: language, personal API tokens."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tongcheng.kit.services import ForbiddenError, NotFoundError, ValidationFailed, audit

from .. import limits
from ..limits import TextRule
from ..models import ApiToken, User
from ..validators import InvalidValue

__all__ = [
    "set_language",
    "create_api_token",
    "revoke_api_token",
    "hash_token",
    "token_of",
    "user_for_token",
    "TOKEN_PREFIX",
]

TOKEN_PREFIX = "tc_"
_TOKEN_ATTRIBUTE = "_tongcheng_api_token"


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


def token_of(actor: User) -> ApiToken | None:
    """The API token the actor authenticated with in this request, or None for a session, a command or a
    test. Set by :func:`user_for_token` on the user object it returns, so it travels with the actor into
    every service and cannot be forgotten or claimed by a caller."""
    return getattr(actor, _TOKEN_ATTRIBUTE, None)


def _require_session(actor: User, message: str) -> None:
    if token_of(actor) is not None:
        raise ForbiddenError(message, code="session_required")


def default_token_days() -> int:
    return getattr(settings, "API_TOKEN_DEFAULT_DAYS", limits.TOKEN_EXPIRY_DAYS_DEFAULT)


@transaction.atomic
def create_api_token(*, actor: User, name: str, expires_in_days: int | None = None) -> tuple[ApiToken, str]:
    """Returns the token row and the key; the key is shown once and only its hash is kept.

    Only a signed-in person creates tokens: a token cannot mint further tokens (403 session_required), so
    a leaked key cannot outlive its own expiry or revocation by copying itself. Every token expires, in
    ``expires_in_days`` (TOKEN_EXPIRY_DAYS_MIN…MAX) or the default (settings.API_TOKEN_DEFAULT_DAYS)."""
    _require_session(actor, _("Only a signed-in session can create API tokens, not another token."))
    try:
        name = TextRule(limits.TOKEN_NAME_MAX)(name)
    except InvalidValue as exc:
        raise ValidationFailed(str(exc), code=exc.code, field="name") from exc
    days = default_token_days() if expires_in_days is None else expires_in_days
    if (
        isinstance(days, bool)
        or not isinstance(days, int)
        or not limits.TOKEN_EXPIRY_DAYS_MIN <= days <= limits.TOKEN_EXPIRY_DAYS_MAX
    ):
        raise ValidationFailed(
            _("A token expires in %(min)s to %(max)s days.")
            % {"min": limits.TOKEN_EXPIRY_DAYS_MIN, "max": limits.TOKEN_EXPIRY_DAYS_MAX},
            code="out_of_range",
            field="expires_in_days",
        )
    key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=days)
    token = ApiToken.objects.create(
        user=actor, name=name, prefix=key[:10], key_hash=hash_token(key), expires_at=expires_at
    )
    audit(actor, "token.create", token, {"name": token.name, "expires_at": expires_at.isoformat()})
    return token, key


@transaction.atomic
def revoke_api_token(*, actor: User, token_id: int) -> ApiToken:
    """Revoke one of the actor's tokens. With a token, a caller may revoke that token itself (giving up
    access is always safe, e.g. a job ending) but no other: a leaked key must not be able to cut off the
    owner's other programs."""
    current = token_of(actor)
    if current is not None and current.pk != token_id:
        # Refused before the lookup, so the answer says nothing about whether that token exists.
        raise ForbiddenError(
            _("With an API token you can revoke only that token; sign in to revoke others."),
            code="session_required",
        )
    token = ApiToken.objects.filter(pk=token_id, user=actor, revoked_at__isnull=True).first()
    if token is None:
        raise NotFoundError()
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit(actor, "token.revoke", token, {"name": token.name})
    return token


def user_for_token(key: str) -> User | None:
    """The active user behind a token key, or None (unknown, revoked or expired token, inactive user).
    Updates last use at most once a minute. The user returned carries the token (see :func:`token_of`)."""
    if not key.startswith(TOKEN_PREFIX):
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(key)).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    user = token.user
    setattr(user, _TOKEN_ATTRIBUTE, token)
    return user
