"""Sign-in lockout by the pair (username, client address), built on django-axes.

Failures are counted per pair, so someone guessing from one address cannot lock the real user out at
another: LOGIN_FAILURE_LIMIT failures lock the pair for LOGIN_LOCKOUT_MINUTES, each further
LOGIN_FAILURE_LIMIT failures of the pair since its last successful sign-in double that (up to
LOGIN_LOCKOUT_MAX_MINUTES), and a successful sign-in from the pair clears its count.

django-axes checks the count before the password and adds the failure after it, with the slow password
hash in between, so parallel attempts all pass the check before any of them is counted (axes issue #592,
"known issue, won't fix"). ``PairLockedAxesBackend`` closes that gap: it takes the attempt's place in the
count *before* the password is checked, in a transaction serialised per pair, and refuses when the places
are used up; ``PairLockedDatabaseHandler`` then hands that place to axes' own bookkeeping when the password
turns out wrong. Password checking itself stays with Django's ModelBackend.
"""

from __future__ import annotations

import hashlib
import ipaddress
import math
from datetime import timedelta

from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_cool_off, get_credentials, get_failure_limit
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router, transaction
from django.db.models import Exists, F, OuterRef
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import ngettext_lazy

# Request attributes: the username as the sign-in form cleaned it (axes counts under that one, so the
# delay must be looked up under it too), and whether this request already holds its place in the count.
USERNAME_ATTR = "tongcheng_lockout_username"
PLACE_ATTR = "tongcheng_lockout_place_taken"
# Set by the sign-in form when it has put the lock message on its page.
SHOWN_ATTR = "tongcheng_lockout_shown"
# One wording for a locked pair, whether or not the username exists.
LOCKED_MESSAGE = ngettext_lazy(
    "Too many failed sign-ins with this username from your address. Try again in %(minutes)d minute.",
    "Too many failed sign-ins with this username from your address. Try again in %(minutes)d minutes.",
    "minutes",
)
# How many doublings the delay can take; the cap (LOGIN_LOCKOUT_MAX_MINUTES) is reached long before.
MAX_DOUBLINGS = 20


def failure_limit(request=None, credentials=None) -> int:
    """AXES_FAILURE_LIMIT: read at each call, so LOGIN_FAILURE_LIMIT stays the one setting to change."""
    return settings.LOGIN_FAILURE_LIMIT


def client_address(request) -> str | None:
    """AXES_CLIENT_IP_CALLABLE: the address failures are counted under.

    By default the connection's own address (REMOTE_ADDR), which a client cannot forge. Behind
    TRUSTED_PROXY_COUNT proxies, each of which appends the address it received the request from to
    X-Forwarded-For, the client is the entry that many places from the right; whatever a client writes into
    the header itself stays to the left of it. An IPv6 client is counted by its /64 network, since one
    subscriber is usually given a whole /64 and could otherwise take a fresh address for every guess."""
    address = request.META.get("REMOTE_ADDR")
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= hops:
            address = forwarded[-hops]
    try:
        parsed = ipaddress.ip_address((address or "").strip())
    except ValueError:
        return None
    if parsed.version == 6:
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False).network_address)
    return str(parsed)


def _pair(request, credentials=None) -> tuple[str | None, str | None]:
    AxesProxyHandler.update_request(request)
    username = getattr(request, USERNAME_ATTR, None)
    if username is None:
        username = get_client_username(request, credentials)
    return username, request.axes_ip_address


def _failures_since_last_success(request) -> int:
    """Failures of the request's pair within LOGIN_LOCKOUT_MEMORY_DAYS that no successful sign-in of the
    pair has followed (axes keeps one AccessFailureLog row per failure and one AccessLog row per sign-in)."""
    username, address = _pair(request)
    if username is None:
        return 0
    since = timezone.now() - timedelta(days=settings.LOGIN_LOCKOUT_MEMORY_DAYS)
    later_success = AccessLog.objects.filter(
        username=username, ip_address=address, attempt_time__gte=OuterRef("attempt_time")
    )
    return (
        AccessFailureLog.objects.filter(username=username, ip_address=address, attempt_time__gte=since)
        .exclude(Exists(later_success))
        .count()
    )


def cool_off(request=None) -> timedelta:
    """AXES_COOLOFF_TIME: how long the request's pair stays locked after its last counted failure, and how
    far back its failures count. LOGIN_LOCKOUT_MINUTES for the first lockout, doubled for each further
    LOGIN_FAILURE_LIMIT failures since the pair's last successful sign-in, up to LOGIN_LOCKOUT_MAX_MINUTES."""
    first = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    longest = max(first, timedelta(minutes=settings.LOGIN_LOCKOUT_MAX_MINUTES))
    if request is None:
        return first
    lockouts = _failures_since_last_success(request) // failure_limit()
    doublings = min(max(lockouts - 1, 0), MAX_DOUBLINGS)
    return min(first * 2**doublings, longest)


def lockout_remaining(request) -> timedelta:
    """How long until the request's pair may try again: its recent failures are summed from the newest
    back, and the lock lifts when the one that completed the limit falls out of the window."""
    username, address = _pair(request)
    window = get_cool_off(request)
    now = timezone.now()
    recent = (
        AccessAttempt.objects.filter(username=username, ip_address=address, attempt_time__gte=now - window)
        .order_by("-attempt_time")
        .values_list("attempt_time", "failures_since_start")
    )
    counted = 0
    for attempt_time, failures in recent:
        counted += failures
        if counted >= failure_limit():
            return max(attempt_time + window - now, timedelta(0))
    return timedelta(0)


def lockout_minutes(request) -> int:
    """Minutes to announce on the lock page: whole minutes, rounded up, at least one."""
    return max(1, math.ceil(lockout_remaining(request).total_seconds() / 60))


def lockout_response(request, original_response=None, credentials=None):
    """AXES_LOCKOUT_CALLABLE: status 429 (Too Many Requests). Our sign-in page already says why in its
    form, so it is kept; any other sign-in form (the admin's) is replaced by the lock page."""
    status = settings.AXES_HTTP_RESPONSE_CODE
    if original_response is not None and getattr(request, SHOWN_ATTR, False):
        original_response.status_code = status
        return original_response
    message = LOCKED_MESSAGE % {"minutes": lockout_minutes(request)}
    return render(request, "core/lockout.html", {"message": message}, status=status)


def _lock_pair(using: str, username: str | None, address: str | None) -> None:
    """Hold a lock on the pair until the surrounding transaction ends, so that reading its count and taking
    a place in it cannot interleave with another attempt of the same pair."""
    connection = connections[using]
    if connection.vendor == "sqlite":
        # Nothing more to do: our SQLite transactions begin IMMEDIATE (settings), which takes the database's
        # write lock at BEGIN, so they already run one at a time.
        return
    if connection.vendor != "postgresql":
        raise ImproperlyConfigured("The sign-in lockout needs SQLite or PostgreSQL.")
    digest = hashlib.blake2b(
        f"{username}\x00{address}".encode(), digest_size=8, person=b"tc-lockout"
    ).digest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [int.from_bytes(digest, "big", signed=True)])


def _take_place(request, credentials) -> bool:
    """Count this attempt as a failure before its password is checked, unless the pair's places are used up;
    False means the pair is locked."""
    username, address = _pair(request, credentials)
    using = router.db_for_write(AccessAttempt)
    with transaction.atomic(using=using):
        _lock_pair(using, username, address)
        handler = AxesProxyHandler.get_implementation()
        # An expired row must go before the count is raised, or its old failures would come back to life.
        handler.clean_expired_user_attempts(request, credentials)
        if handler.get_failures(request, credentials) >= get_failure_limit(request, credentials):
            return False
        attempt, created = AccessAttempt.objects.using(using).get_or_create(
            username=username,
            ip_address=address,
            user_agent=request.axes_user_agent,
            defaults={
                "get_data": "",
                "post_data": "",
                "http_accept": request.axes_http_accept,
                "path_info": request.axes_path_info,
                "failures_since_start": 1,
                "attempt_time": request.axes_attempt_time,
            },
        )
        if not created:
            AccessAttempt.objects.using(using).filter(pk=attempt.pk).update(
                failures_since_start=F("failures_since_start") + 1, attempt_time=request.axes_attempt_time
            )
    return True


class PairLockedAxesBackend(AxesStandaloneBackend):
    """First in AUTHENTICATION_BACKENDS: refuses a locked pair (axes) and takes the attempt's place in the
    pair's count before ModelBackend checks the password, so parallel attempts cannot exceed the limit. A
    successful sign-in gives the place back (AXES_RESET_ON_SUCCESS clears the pair's count)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and username is not None:
            setattr(request, USERNAME_ATTR, username)
        super().authenticate(request, username=username, password=password, **kwargs)
        if not settings.AXES_ENABLED:
            return None
        credentials = get_credentials(username=username, password=password, **kwargs)
        if AxesProxyHandler.get_implementation().is_whitelisted(request, credentials):
            return None
        if not _take_place(request, credentials):
            # As axes does for a pair it finds locked: the flag makes AxesMiddleware answer with the lock
            # page, and keeps the refused attempt from extending the lock.
            request.axes_locked_out = True
            raise AxesBackendPermissionDenied("the pair (username, address) is locked")
        setattr(request, PLACE_ATTR, True)
        return None


class PairLockedDatabaseHandler(AxesDatabaseHandler):
    """AXES_HANDLER: axes' database handler, with two changes for pair locks with growing delays."""

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        """A failure whose place the backend already took: give the place back and let axes record the
        failure its usual way (count, failure log, lock flag), both in one transaction that holds the pair's
        lock, so no other attempt ever sees the count one short."""
        if request is None or not getattr(request, PLACE_ATTR, False):
            return super().user_login_failed(sender, credentials, request, **kwargs)
        setattr(request, PLACE_ATTR, False)
        username, address = _pair(request, credentials)
        using = router.db_for_write(AccessAttempt)
        with transaction.atomic(using=using):
            _lock_pair(using, username, address)
            AccessAttempt.objects.using(using).filter(
                username=username,
                ip_address=address,
                user_agent=request.axes_user_agent,
                failures_since_start__gt=0,
            ).update(failures_since_start=F("failures_since_start") - 1)
            return super().user_login_failed(sender, credentials, request, **kwargs)

    def clean_expired_user_attempts(self, request=None, credentials=None) -> int:
        """axes deletes every pair's attempts older than the current request's cool-off; with delays that
        differ per pair that would cut another pair's longer lock short. Here another pair's attempts go only
        when older than the longest delay, the request's own pair's when older than its own."""
        longest = max(settings.LOGIN_LOCKOUT_MINUTES, settings.LOGIN_LOCKOUT_MAX_MINUTES)
        count, _ = AccessAttempt.objects.filter(
            attempt_time__lte=timezone.now() - timedelta(minutes=longest)
        ).delete()
        if request is not None:
            username, address = _pair(request, credentials)
            own, _ = AccessAttempt.objects.filter(
                username=username,
                ip_address=address,
                attempt_time__lte=request.axes_attempt_time - get_cool_off(request),
            ).delete()
            count += own
        return count
