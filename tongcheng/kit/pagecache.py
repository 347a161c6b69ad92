"""The versioned response cache of list pages and API lists (issue 7, point 11: cost per request).

A list asked again with nothing changed is answered from the cache instead of being queried, built and
rendered again. What makes that safe:

- **Every write is seen.** A wrapper on every database connection (``connection.execute_wrappers``) sees
  each statement Django sends — ORM saves, ``update()``, ``bulk_create``, cascaded deletes, raw SQL through
  Django's cursor, ``flush`` — and gives each table written a new random token in ``kit_data_version``,
  inside the writer's transaction (the token commits or rolls back with the data; several writes to one
  table in one transaction write it once, and a rolled-back savepoint takes its marker with it).
- **A cached answer knows what it read.** While a list is built, the same wrapper notes every table its
  queries read (``FROM``/``JOIN``); the entry keeps those tables' tokens as they were *before* the list was
  queried. It is served only while every token is unchanged — one query checks them all, with the scope
  version (grants) and, for a page, the reader's unread-notification count in the header.
- **It is per reader.** The key holds the user (and their name and superuser flag), the language, the day
  (lists that depend on today), the whole path with its query string and the settings generation (tests
  that override settings). Nobody is ever served another user's answer.
- **Nothing per request is kept.** A page is rendered with a placeholder for the CSRF token, filled in for
  each answer; a request with flash messages waiting is neither served from nor stored in the cache; only
  200 answers are kept; a transaction that wrote never stores what it read (it may still roll back).

Writes from outside Django (psql, another program) are not seen: they must be followed by
``manage.py bump_data_versions`` (or wait ``TONGCHENG_PAGE_CACHE_SECONDS``). ``TONGCHENG_PAGE_CACHE`` names
the cache (``None`` turns this off). docs/kit/performance.md has the design and the figures."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.utils import timezone, translation

from tongcheng.kit.access import note_scope_version
from tongcheng.kit.txmarkers import marked

__all__ = [
    "CSRF_HOLE",
    "PageCacheMiddleware",
    "bump_data_versions",
    "cached_api_list",
    "install_tracking",
    "lookup",
    "start",
    "untracked",
    "writes_untracked",
]

VERSION_TABLE = "kit_data_version"
SCOPE_TABLE = "kit_scope_version"
# Written on every request (the session) or being the bookkeeping itself: never versioned.
IGNORED_TABLES = frozenset({VERSION_TABLE, SCOPE_TABLE, "django_session"})
# Not a valid token: a page is rendered with it and it is replaced by the request's own token.
CSRF_HOLE = "tc-csrf-hole-0b6e4c52a9f1"

_WRITE = re.compile(
    r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+"?(\w+)"?',
    re.IGNORECASE,
)
_TRUNCATE = re.compile(r"^\s*TRUNCATE\b", re.IGNORECASE)
_QUOTED = re.compile(r'"(\w+)"')
_READ = re.compile(r'\b(?:FROM|JOIN)\s+"(\w+)"', re.IGNORECASE)

_state = threading.local()
_markers: dict[str, Callable[[], None]] = {}
_generation = 0  # settings changes (tests): part of every key


def _on_setting_changed(**_kwargs: Any) -> None:
    global _generation
    _generation += 1


setting_changed.connect(_on_setting_changed)


# --- writes: new tokens --------------------------------------------------------------------------------


def _marker(table: str) -> Callable[[], None]:
    """A no-op on-commit callback that says "this transaction gave ``table`` a new token". Django drops the
    callbacks of a savepoint that rolls back, and the marker with them — the next write bumps again."""
    marker = _markers.get(table)
    if marker is None:

        def marker() -> None:
            return None

        marker.__qualname__ = f"data_version_bumped[{table}]"
        _markers[table] = marker
    return marker


def is_marker(callback: Any) -> bool:
    """Whether an on-commit callback is one of this module's markers (tests that count callbacks)."""
    return callback in _markers.values()


def _bumped_in_transaction(connection: Any, marker: Callable[[], None] | None = None) -> bool:
    return marked(connection, (marker,) if marker is not None else tuple(_markers.values()))


def _bump(connection: Any, tables: Iterable[str]) -> None:
    todo = []
    for table in tables:
        if table in IGNORED_TABLES:
            continue
        if connection.in_atomic_block:
            marker = _marker(table)
            if _bumped_in_transaction(connection, marker):
                continue
            transaction.on_commit(marker, using=connection.alias)
        todo.append(table)
    if not todo:
        return
    _state.bumping = True
    try:
        with connection.cursor() as cursor:
            for table in todo:
                cursor.execute(
                    f"INSERT INTO {VERSION_TABLE} (name, token) VALUES (%s, %s) "
                    "ON CONFLICT (name) DO UPDATE SET token = excluded.token",
                    [table, secrets.token_hex(16)],
                )
    finally:
        _state.bumping = False


def _tracking_wrapper(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
    result = execute(sql, params, many, context)
    if getattr(_state, "bumping", False) or not isinstance(sql, str):
        return result
    head = sql.lstrip()[:8].upper()
    if head.startswith(("SELECT", "WITH")):
        reads = getattr(_state, "reads", None)
        if reads is not None:
            reads.update(name.lower() for name in _READ.findall(sql))
        return result
    written: list[str] = []
    # Several statements may come in one string ("DELETE FROM a; DELETE FROM b").
    for statement in sql.split(";") if ";" in sql else (sql,):
        match = _WRITE.match(statement)
        if match:
            written.append(match.group(1).lower())
        elif _TRUNCATE.match(statement):
            written.extend(name.lower() for name in _QUOTED.findall(statement))
    if written and _versions_installed(context["connection"]):
        _bump(context["connection"], written)
    return result


def _versions_installed(connection: Any) -> bool:
    """False in a database without the version table (before its migration has run). Asked once per
    connection; ``migrate`` asks again (``forget_installed``)."""
    known = getattr(connection, "_tc_data_versions", None)
    if known is None:
        try:
            _state.bumping = True
            with connection.cursor() as cursor:
                known = VERSION_TABLE in connection.introspection.table_names(cursor)
        finally:
            _state.bumping = False
        connection._tc_data_versions = known
    return bool(known)


def forget_installed(**_kwargs: Any) -> None:
    """``pre_migrate``/``post_migrate``: the version table may appear during the run."""
    for connection in connections.all(initialized_only=True):
        connection._tc_data_versions = None  # type: ignore[attr-defined]


def install_tracking(connection: Any, **_kwargs: Any) -> None:
    """Put the wrapper on a connection (``connection_created`` and, at start-up, the open ones)."""
    if _tracking_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.append(_tracking_wrapper)


def bump_data_versions(tables: Iterable[str] | None = None, using: str = DEFAULT_DB_ALIAS) -> None:
    """New tokens for ``tables`` (every versioned table when None): after writes the wrapper cannot see
    (psql, another program, a COPY)."""
    connection = connections[using]
    if tables is None:
        with connection.cursor() as cursor:
            tables = [t for t in connection.introspection.table_names(cursor) if t not in IGNORED_TABLES]
    _bump(connection, list(tables))


class writes_untracked:
    """Writes inside give no table a new token: for a restore that puts back the data *and* the version
    table as they were together (tongcheng/kit/dbsnapshot.py), which is consistent as it stands."""

    def __enter__(self) -> None:
        self.saved = getattr(_state, "bumping", False)
        _state.bumping = True

    def __exit__(self, *exc: object) -> None:
        _state.bumping = self.saved


class untracked:
    """Queries inside are not dependencies of the list being cached (the header's unread count, which the
    cache checks by itself)."""

    def __enter__(self) -> None:
        self.saved = getattr(_state, "reads", None)
        _state.reads = None

    def __exit__(self, *exc: object) -> None:
        _state.reads = self.saved


# --- reads: keys, entries, checks ------------------------------------------------------------------------


def _cache() -> Any:
    alias = getattr(settings, "TONGCHENG_PAGE_CACHE", "default")
    return caches[alias] if alias else None


@dataclass
class Entry:
    tokens: tuple[tuple[str, str], ...]  # (table, token) read before the list was queried; "" = never written
    scope: str
    bell: int | None
    body: bytes
    content_type: str


@dataclass
class Pending:
    key: str
    kind: str
    tokens: dict[str, str]
    scope: str
    bell: int | None
    reads: set[str] = field(default_factory=set)


def _key(request: HttpRequest, user: Any, kind: str) -> str:
    parts = [
        kind,
        str(user.pk),
        str(int(user.is_superuser)),
        user.get_username(),
        str(user),
        translation.get_language() or "",
        timezone.localdate().isoformat(),
        request.get_full_path(),
        request.headers.get("HX-Request", ""),
        str(_generation),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()
    return f"tongcheng:list:{digest}"


def _bell_sql(connection: Any) -> str:
    from tongcheng.kit.notifications.models import Notification

    meta = Notification._meta
    recipient = meta.get_field("recipient").column
    read_at = meta.get_field("read_at").column
    q = connection.ops.quote_name
    return (
        f"SELECT '#bell', CAST(COUNT(*) AS TEXT) FROM {q(meta.db_table)} "
        f"WHERE {q(recipient)} = %s AND {q(read_at)} IS NULL"
    )


def _current(names: Iterable[str] | None, user: Any, bell: bool) -> tuple[dict[str, str], str, int | None]:
    """The tokens of ``names`` (all tables when None), the scope token and the unread count, in one query."""
    connection = connections[DEFAULT_DB_ALIAS]
    sql = [f"SELECT '#scope', token FROM {SCOPE_TABLE} WHERE id = 1"]
    params: list[Any] = []
    if names is None:
        sql.append(f"SELECT name, token FROM {VERSION_TABLE}")
    else:
        names = sorted(names)
        if names:
            sql.append(
                f"SELECT name, token FROM {VERSION_TABLE} WHERE name IN ({', '.join(['%s'] * len(names))})"
            )
            params.extend(names)
    if bell:
        sql.append(_bell_sql(connection))
        params.append(user.pk)
    with untracked(), connection.cursor() as cursor:
        cursor.execute(" UNION ALL ".join(sql), params)
        rows = cursor.fetchall()
    tokens = {name: token for name, token in rows}
    scope = tokens.pop("#scope", "")
    count = tokens.pop("#bell", None)
    return tokens, scope, (int(count) if count is not None else None)


def _usable(request: HttpRequest, user: Any) -> bool:
    if request.method != "GET" or user is None or not getattr(user, "is_authenticated", False):
        return False
    if _cache() is None:
        return False
    if getattr(request, "_tc_pending", None) is not None:  # a list inside a list: the outer one is cached
        return False
    messages = getattr(request, "_messages", None)
    # Flash messages are shown once, by the page that consumes them: such a page is neither kept nor reused.
    return not (messages is not None and len(messages))


def _fill(body: bytes, request: HttpRequest) -> bytes:
    if CSRF_HOLE.encode() in body:
        body = body.replace(CSRF_HOLE.encode(), get_token(request).encode())
    return body


def lookup(request: HttpRequest, user: Any, kind: str) -> HttpResponse | None:
    """The cached answer to this request if every table it read is unchanged, else None."""
    if not _usable(request, user):
        return None
    if "no-cache" in request.headers.get("Cache-Control", "").lower():
        return None  # a reload: built again (and kept for the next request)
    cache = _cache()
    key = _key(request, user, kind)
    entry = cache.get(key)
    if entry is None:
        return None
    names = [name for name, _token in entry.tokens]
    tokens, scope, bell = _current(names, user, bell=entry.bell is not None)
    if scope != entry.scope or bell != entry.bell:
        return None
    if any(tokens.get(name, "") != token for name, token in entry.tokens):
        return None
    _state.hits = getattr(_state, "hits", 0) + 1
    response = HttpResponse(_fill(entry.body, request), content_type=entry.content_type)
    response["X-Tongcheng-Cache"] = "hit"
    return response


def start(request: HttpRequest, user: Any, kind: str, bell: bool = False) -> Pending | None:
    """Begin a cacheable answer: read every token before the list is queried, then note what it reads.
    The middleware stores the answer. With ``bell`` the header's unread count is read here (once) and the
    page renders that figure."""
    if not _usable(request, user):
        return None
    tokens, scope, count = _current(None, user, bell=bell)
    pending = Pending(_key(request, user, kind), kind, tokens, scope, count)
    note_scope_version(user, scope)
    if bell and count is not None:
        from tongcheng.kit.notifications.context_processors import UnreadNotifications

        unread = UnreadNotifications(user)
        unread.__dict__["count"] = count  # the cached_property, filled with the figure the entry checks
        request._unread_notifications = unread  # type: ignore[attr-defined]
    _state.pending = pending
    _state.reads = pending.reads
    request._tc_pending = pending  # type: ignore[attr-defined]
    return pending


def _finish(request: HttpRequest, response: Any) -> Any:
    pending = getattr(request, "_tc_pending", None)
    if pending is None:
        return response
    _state.pending = None
    _state.reads = None
    del request._tc_pending  # type: ignore[attr-defined]
    if getattr(response, "streaming", False):
        return response
    body = response.content
    connection = connections[DEFAULT_DB_ALIAS]
    # A page that used the request's CSP nonce (an inline script) cannot be given to another request.
    nonce_used = getattr(request, "_csp_nonce", None) is not None
    if response.status_code == 200 and not nonce_used and not _bumped_in_transaction(connection):
        reads = sorted(pending.reads - IGNORED_TABLES)
        entry = Entry(
            tokens=tuple((name, pending.tokens.get(name, "")) for name in reads),
            scope=pending.scope,
            bell=pending.bell,
            body=body,
            content_type=response.get("Content-Type", "text/html; charset=utf-8"),
        )
        _cache().set(pending.key, entry, getattr(settings, "TONGCHENG_PAGE_CACHE_SECONDS", 600))
    response.content = _fill(body, request)
    return response


class PageCacheMiddleware:
    """Stores the answer of a list that ``start`` began and fills in the request's CSRF token. Without it a
    page rendered for the cache would carry the placeholder: the system check ``tongcheng.E010`` says so."""

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        try:
            response = self.get_response(request)
        except BaseException:
            _state.pending = None
            _state.reads = None
            raise
        return _finish(request, response)


def cached_api_list(func: Callable[..., Any]) -> Callable[..., Any]:
    """An API list (between ``@router.get`` and ``@paginate``) answered from the cache when nothing it read
    has changed; Ninja passes the cached ``HttpResponse`` through as it is."""

    @functools.wraps(func)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        user = getattr(request, "auth", None)
        hit = lookup(request, user, "api")
        if hit is not None:
            return hit
        start(request, user, "api")
        return func(request, *args, **kwargs)

    return wrapper


def stats() -> dict[str, int]:
    """Hits served by this thread (tests)."""
    return {"hits": getattr(_state, "hits", 0)}
