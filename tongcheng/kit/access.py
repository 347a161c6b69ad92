"""Who may do what on which rows (DESIGN.md "Access"): the mechanism.

``restrict(queryset, user, action)`` applies the rule registered for the queryset's model to the user's
scope. The scope is what the app that owns the registry says the user's grants reach: it registers a
loader (``set_scope_loader``), and the kit calls it once per user and request. A model without a rule is
visible to superusers only: forgetting a rule hides data, it never leaks it. Each rule declares the
actions it knows; asking a rule for another action is a programming error, raised while ``DEBUG`` (and
in tests), and answered with no rows in production."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.db import models
from django.db.models import Q

__all__ = [
    "ALL",
    "NONE",
    "ScopeLike",
    "UnknownAction",
    "can",
    "forget_scope",
    "register_rule",
    "restrict",
    "rule_actions",
    "rule_q",
    "scope_of",
    "visible_or_none",
    "set_scope_loader",
]

ALL = Q()  # matches every row
NONE = Q(pk__in=[])  # matches no row


class ScopeLike(Protocol):
    user_id: int | None
    authenticated: bool
    superuser: bool


class UnknownAction(LookupError):
    """A rule was asked for an action it does not declare (a typo, or a new action without a rule)."""


class _Anonymous:
    user_id = None
    authenticated = False
    superuser = False
    grants: tuple = ()


_loader: Callable[[Any], Any] | None = None
_anonymous: Any = _Anonymous()


def set_scope_loader(loader: Callable[[Any], Any], anonymous: Any = None) -> None:
    """Called by the registry app when it starts: ``loader(user)`` returns a signed-in user's scope, and
    ``anonymous`` is the scope of everyone else."""
    global _loader, _anonymous
    _loader = loader
    if anonymous is not None:
        _anonymous = anonymous


def scope_of(user: Any) -> Any:
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return _anonymous
    cached = getattr(user, "_tongcheng_scope", None)
    if cached is not None:
        return cached
    if _loader is None:
        raise RuntimeError("no scope loader registered (the registry app sets one in its ready())")
    scope = _loader(user)
    user._tongcheng_scope = scope
    return scope


def forget_scope(user: Any) -> None:
    """Drop the cached scope (after grants change within one request, e.g. in tests)."""
    if hasattr(user, "_tongcheng_scope"):
        del user._tongcheng_scope


Rule = Callable[[Any, str], Q]
_QS = TypeVar("_QS", bound="models.QuerySet[Any, Any]")
_RULES: dict[type[models.Model], tuple[Rule, frozenset[str]]] = {}


def register_rule(model: type[models.Model], actions: Iterable[str]) -> Callable[[Rule], Rule]:
    """Register the rule of a model with the actions it knows, e.g.
    ``@register_rule(Organisation, actions=("view", "change", "history"))``."""

    def decorator(rule: Rule) -> Rule:
        _RULES[model] = (rule, frozenset(actions))
        return rule

    return decorator


def rule_q(model: type[models.Model], scope: Any, action: str) -> Q:
    """The Q a model's rule gives for a scope and action (NONE without a rule or for an unknown action):
    for a rule that follows another model's rule (e.g. an attachment follows its owner's)."""
    entry = _RULES.get(model)
    if entry is None or action not in entry[1]:
        return NONE
    return entry[0](scope, action)


def rule_actions(model: type[models.Model]) -> frozenset[str]:
    entry = _RULES.get(model)
    return entry[1] if entry else frozenset()


def restrict(queryset: _QS, user: Any, action: str = "view") -> _QS:
    entry = _RULES.get(queryset.model)
    if entry is not None and action not in entry[1]:
        if settings.DEBUG or getattr(settings, "TONGCHENG_STRICT_ACTIONS", False):
            raise UnknownAction(
                f"{queryset.model._meta.label} has no action {action!r} (known: {sorted(entry[1])})"
            )
        return queryset.none()
    scope = scope_of(user)
    if not scope.authenticated:
        return queryset.none()
    if scope.superuser:
        return queryset
    if entry is None:
        return queryset.none()
    q = entry[0](scope, action)
    if q is NONE:
        return queryset.none()
    if _reaches_to_many(queryset.model, q):
        # A join through a to-many relation (e.g. a zone's members) repeats a row once per match; the
        # subquery keeps each row once, so counts, pagination and exports stay right.
        return queryset.filter(pk__in=queryset.model._default_manager.filter(q).values("pk"))
    return queryset.filter(q)


def _lookups(q: Q) -> Iterable[str]:
    for child in q.children:
        if isinstance(child, Q):
            yield from _lookups(child)
        elif isinstance(child, tuple):  # ("lookup", value), the only other kind of child a Q holds
            yield child[0]


def _reaches_to_many(model: type[models.Model], q: Q) -> bool:
    for lookup in _lookups(q):
        current = model
        for part in lookup.split("__"):
            try:
                field = current._meta.get_field(part)
            except Exception:  # a lookup or transform (startswith, in …), not a field
                break
            if field.is_relation and (field.one_to_many or field.many_to_many):
                return True
            if not field.is_relation or field.related_model is None:
                break
            current = field.related_model
    return False


def visible_or_none(user: Any, obj: models.Model | None) -> models.Model | None:
    """A linked record (a zone's parent, an organisation's zone) as the page may name it: the record when
    the user sees it, else None, so that a page never names what the user may not see."""
    if obj is None:
        return None
    return obj if can(user, "view", obj) else None


def can(user: Any, action: str, obj: models.Model) -> bool:
    """Whether the user may perform the action on this row (one indexed query)."""
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user, action).exists()
