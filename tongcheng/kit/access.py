"""Who may do what on which rows (DESIGN.md "Access"): the mechanism.

``restrict(queryset, user, action)`` applies the rule registered for the queryset's model to the user's
scope. The scope is what the app that owns the registry says the user's grants reach: it registers a
loader (``set_scope_loader``), and the kit calls it once per user and request. A model without a rule is
visible to superusers only: forgetting a rule hides data, it never leaks it. Each rule declares the
actions it knows; asking a rule for another action is a programming error, raised while ``DEBUG`` (and
in tests), and answered with no rows in production.

Scopes are cached (docs/kit/performance.md). A loaded scope is kept in Django's cache under the user, the
day (grants start and end on dates) and the *scope version*: a random token in one database row that every
change to what scopes are built from replaces (``bump_scope_version``, called by the services that change
grants, zones or zone members, and by the registry's save signals as a safety net). A request reads the
token (one primary-key query) and finds the user's scope under it, so it neither re-reads grants nor
recompiles the registry; a change commits together with its new token, so no process can keep using a
scope the change made stale."""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable, Iterable
from typing import Any, Protocol, TypeVar

from django.apps import apps
from django.conf import settings
from django.core.cache import caches
from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.db.models import Q
from django.utils import timezone

from .txmarkers import marked

__all__ = [
    "ALL",
    "NONE",
    "ScopeLike",
    "UnknownAction",
    "PUBLIC",
    "allowed_actions",
    "any_of",
    "bump_scope_version",
    "can",
    "forget_scope",
    "note_scope_version",
    "own_rows_q",
    "published",
    "register_rule",
    "restrict",
    "rule_actions",
    "rule_q",
    "scope_load_count",
    "scope_of",
    "scope_version",
    "visible_or_none",
    "set_scope_loader",
    "window_rows_q",
]

ALL = Q()  # matches every row
NONE = Q(pk__in=[])  # matches no row


def any_of(*qs: Q) -> Q:
    """The OR of rule conditions without the dead branches: NONE parts are dropped (instead of compiling
    an empty ``IN ()`` on every query) and ALL wins (``Q() | q`` would give ``q``)."""
    live = [q for q in qs if q is not NONE]
    if not live:
        return NONE
    if any(not q.children and not q.negated for q in live):
        return ALL
    combined = live[0]
    for q in live[1:]:
        combined = combined | q
    return combined


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
    """The user's scope: computed once per request (kept on the user object) from the cached scope."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return _anonymous
    cached = getattr(user, "_tongcheng_scope", None)
    if cached is not None:
        return cached
    if _loader is None:
        raise RuntimeError("no scope loader registered (the registry app sets one in its ready())")
    scope = _cached_scope(user, _loader)
    user._tongcheng_scope = scope
    return scope


def forget_scope(user: Any) -> None:
    """Drop the scope kept on this user object (after grants change within one request). The shared cache
    needs no forgetting: the change bumped the scope version."""
    if hasattr(user, "_tongcheng_scope"):
        del user._tongcheng_scope
    if hasattr(user, "_tongcheng_scope_token"):
        del user._tongcheng_scope_token


def note_scope_version(user: Any, token: str) -> None:
    """The scope version this request already read (the list cache reads it with its own check): the
    user's scope is then looked up under it without reading it again."""
    if token and user is not None and getattr(user, "is_authenticated", False):
        user._tongcheng_scope_token = token


# --- the scope cache ---------------------------------------------------------------------------------------

SCOPE_CACHE_SECONDS = 24 * 3600
_VERSION_APP = "tongcheng.kit.scopecache"
_loads = 0


def scope_load_count() -> int:
    """How many scopes this process has loaded (cache misses); tests compare it before and after a request."""
    return _loads


def _scope_cache() -> Any:
    alias = getattr(settings, "TONGCHENG_SCOPE_CACHE", "default")
    if alias is None or not apps.is_installed(_VERSION_APP):
        return None
    return caches[alias]


def scope_version(using: str = DEFAULT_DB_ALIAS) -> str | None:
    """The current scope version token, or None before the first one is written (then nothing is cached).
    Plain SQL on a one-row table: this runs on every signed-in request, so it skips the ORM's compiler."""
    from tongcheng.kit.scopecache.models import SCOPE_VERSION_TABLE

    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT token FROM {connection.ops.quote_name(SCOPE_VERSION_TABLE)} WHERE id = 1")
        row = cursor.fetchone()
    return row[0] if row else None


def _bumped_marker() -> None:
    """Registered with on_commit by a bump; its presence in the transaction's pending callbacks means
    "this transaction already bumped" (and it disappears with a rolled-back savepoint, like the bump)."""


def _bumped_in_transaction(using: str = DEFAULT_DB_ALIAS) -> bool:
    return marked(connections[using], (_bumped_marker,))


def bump_scope_version(using: str = DEFAULT_DB_ALIAS) -> None:
    """Say that what scopes are computed from (grants, zones, zone members, the registry) has changed.

    Call it inside the transaction of the change: the new token commits or rolls back with it, and every
    process sees it on its next request. Several bumps in one transaction write once."""
    if not apps.is_installed(_VERSION_APP):
        return
    from tongcheng.kit.scopecache.models import ScopeVersion

    if connections[using].in_atomic_block:
        if _bumped_in_transaction(using):
            return
        transaction.on_commit(_bumped_marker, using=using)
    token = secrets.token_hex(16)
    versions = ScopeVersion.objects.using(using)
    if not versions.filter(pk=1).update(token=token):
        # The row is gone (a flushed test database): create it; a concurrent creator wins the insert and
        # the update below still leaves a token nobody has seen.
        versions.bulk_create([ScopeVersion(pk=1, token=token)], ignore_conflicts=True)
        versions.filter(pk=1).update(token=token)


def _cached_scope(user: Any, loader: Callable[[Any], Any]) -> Any:
    global _loads
    cache = _scope_cache()
    key = None
    if cache is not None:
        token = getattr(user, "_tongcheng_scope_token", None) or scope_version()
        if token is not None:
            # The superuser flag is part of the key: it is read from the user row, which no bump follows.
            key = f"tongcheng:scope:{user.pk}:{int(user.is_superuser)}:{timezone.localdate():%Y%m%d}:{token}"
            scope = cache.get(key)
            if scope is not None:
                return scope
    scope = loader(user)
    _loads += 1
    # A transaction that bumped may still roll back; what it read must not be kept under its new token.
    if key is not None and not _bumped_in_transaction():
        cache.set(key, scope, SCOPE_CACHE_SECONDS)
    return scope


Rule = Callable[[Any, str], Q]
_QS = TypeVar("_QS", bound="models.QuerySet[Any, Any]")
_RULES: dict[type[models.Model], tuple[Rule, frozenset[str]]] = {}
_QUERY_CODES: dict[type[models.Model], str] = {}

# The one action an anonymous visitor may be granted: what a rule deliberately publishes (a case's tracking
# page, a published accountability page). It is the same for everybody, signed in or not, superuser or not.
PUBLIC = "public"


def register_rule(
    model: type[models.Model], actions: Iterable[str], query_code: str | None = None
) -> Callable[[Rule], Rule]:
    """Register the rule of a model with the actions it knows, e.g.
    ``@register_rule(Organisation, actions=("view", "change", "history"))``.

    A rule that declares ``"public"`` answers ``rule(scope, "public")`` with the rows it publishes,
    whoever asks (the scope may be anonymous). With ``query_code="<field>"`` a published row is shown
    only to whoever also gives the row's code (a case's 查询码): such rows are reached one at a time by
    ``published(...)`` and never listed (``restrict(qs, user, "public")`` gives none)."""

    declared = frozenset(actions)
    if query_code is not None and PUBLIC not in declared:
        raise ValueError(f"{model._meta.label}: a query code needs the action {PUBLIC!r}")

    def decorator(rule: Rule) -> Rule:
        _RULES[model] = (rule, declared)
        if query_code is not None:
            _QUERY_CODES[model] = query_code
        else:
            _QUERY_CODES.pop(model, None)
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
    if action == PUBLIC:
        # What the rule publishes, for everybody alike (no superuser shortcut); rows behind a query code
        # are reached only through published(), one at a time, never listed.
        if entry is None or queryset.model in _QUERY_CODES:
            return queryset.none()
        return _filtered(queryset, entry[0](_anonymous, PUBLIC))
    scope = scope_of(user)
    if not scope.authenticated:
        return queryset.none()
    if scope.superuser:
        return queryset
    if entry is None:
        return queryset.none()
    return _filtered(queryset, entry[0](scope, action))


def _filtered(queryset: _QS, q: Q) -> _QS:
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
    return any(_lookup_reaches_to_many(model, lookup) for lookup in _lookups(q))


@functools.cache
def _lookup_reaches_to_many(model: type[models.Model], lookup: str) -> bool:
    # Memoised: rules use a handful of lookups, and walking the model meta on every request adds up.
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


def published(queryset: Any, query_code: str | None = None, **lookup: Any) -> Any:
    """The one published row that ``lookup`` names (e.g. ``number="NJ-2027-000123"``), or None. For a
    model registered with a query code, the code given must equal the row's (compared in constant time);
    a missing or wrong code reads exactly like a row that does not exist or is not published."""
    qs = queryset if isinstance(queryset, models.QuerySet) else queryset._default_manager.all()
    entry = _RULES.get(qs.model)
    if entry is None or PUBLIC not in entry[1]:
        return None
    obj = _filtered(qs, entry[0](_anonymous, PUBLIC)).filter(**lookup).first()
    field_name = _QUERY_CODES.get(qs.model)
    if field_name is None:
        return obj
    expected = str(getattr(obj, field_name) or "") if obj is not None else ""
    given = str(query_code or "")
    # Compared whether or not the row exists, so a wrong code and a missing row take the same path.
    matches = secrets.compare_digest((expected or "\0").encode(), given.encode())
    return obj if matches and expected else None


def own_rows_q(scope: Any, field_name: str = "created_by_id") -> Q:
    """Rows of the user themself: what an applicant filed, what a user created or is assigned to
    (``field_name`` is a user foreign key, or a path to one: ``"case__applicant_id"``). NONE for an
    anonymous scope. For a rule (``any_of(own_rows_q(scope, "applicant_id"), …)``) and for a "mine"
    filter alike."""
    user_id = getattr(scope, "user_id", None)
    return Q(**{field_name: user_id}) if user_id else NONE


def window_rows_q(scope: Any, field_name: str, roles: Iterable[str] = ("clerk",)) -> Q:
    """Rows that passed through the user's window: ``field_name`` leads to an organisation (a service
    window 窗口) on which the user holds one of ``roles`` — e.g. ``"received_by_id"``, or through a
    to-many relation ``"steps__window_id"`` (every window a case went through; restrict keeps each row
    once). The registry's scope answers ``organisation_ids(roles)``."""
    ids = sorted(scope.organisation_ids(roles)) if getattr(scope, "authenticated", False) else []
    return Q(**{f"{field_name}__in": ids}) if ids else NONE


def allowed_actions(user: Any, rows: Any, actions: Iterable[str]) -> dict[Any, set[str]]:
    """Which of ``actions`` the user may take on each row of a queue: ``{pk: {action, …}}`` with every
    row's key present (an empty set when none). One query per action, whatever the number of rows —
    never ``can()`` per row. ``rows`` is a queryset (its primary keys are read once) or a list of rows
    of one model."""
    actions = list(actions)
    if isinstance(rows, models.QuerySet):
        model = rows.model
        pks = list(rows.values_list("pk", flat=True))
    else:
        rows = list(rows)
        if not rows:
            return {}
        model = type(rows[0])
        pks = [row.pk for row in rows]
    result: dict[Any, set[str]] = {pk: set() for pk in pks}
    if not pks:
        return result
    for action in actions:
        allowed = restrict(model._default_manager.filter(pk__in=pks), user, action).values_list(
            "pk", flat=True
        )
        for pk in allowed:
            result[pk].add(action)
    return result


def visible_or_none(user: Any, obj: models.Model | None) -> models.Model | None:
    """A linked record (a zone's parent, an organisation's zone) as the page may name it: the record when
    the user sees it, else None, so that a page never names what the user may not see."""
    if obj is None:
        return None
    return obj if can(user, "view", obj) else None


def can(user: Any, action: str, obj: models.Model) -> bool:
    """Whether the user may perform the action on this row (one indexed query)."""
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user, action).exists()
