"""The write-permission matrix: one write (an API operation or a page form) tried by every role.

A module declares each of its writes as a ``WriteCase`` — method, URL, a payload builder, the tables the
write touches, and the outcome each role must get:

* the status of success (201, 200, 204, or 302 for a page that redirects after its POST) when allowed,
  and then something must have been written;
* 403 when the role may see the record but not act on it, 404 when it may not see it (the same answer
  as for a record that does not exist), ``LOGIN`` for an anonymous caller (401 from the API, a redirect
  to the sign-in page from a page), or another 4xx for input the role may not send;
* and whenever the outcome is a refusal, nothing written: a fingerprint of the touched tables (row
  count, highest id, sum of versions, latest ``updated_at``, or the exact values of chosen columns) is
  the same before and after.

``check_write_matrix`` runs the write once per role, each attempt inside a savepoint rolled back
afterwards, so the roles do not see each other's writes. It returns a report whose ``str`` is a table of
every mismatch; ``assert not report, report``.

Where today's code answers differently from the outcome the access rules call for, the case says so in
``deviations`` (role → today's status): the attempt must then answer exactly that (so a fix shows up as
a failure that asks for the entry to go), and "nothing written" is still checked against the intended
outcome.

Only test code imports this module; it depends on Django's test client, not on pytest or on any app.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Max, Sum
from django.http.response import HttpResponseBase
from django.shortcuts import resolve_url
from django.test import Client

__all__ = [
    "LOGIN",
    "Attempt",
    "Outcome",
    "Table",
    "WriteCase",
    "WriteReport",
    "check_write_matrix",
    "fingerprint",
    "is_allowed",
]

LOGIN = "login"
"""The outcome of an anonymous caller: 401 from the API, a redirect to the sign-in page from a page."""

Outcome = int | str
Role = str


@dataclass(frozen=True)
class Table:
    """A table a write may touch. With ``fields`` the fingerprint holds the exact values of those
    columns (for a write that changes a column of a table without versions, e.g. a user's language);
    without, it holds the row count, the highest id, and the sum of ``version`` and the latest
    ``updated_at`` when the model has them."""

    model: type[models.Model]
    fields: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.model._meta.label


def _table(spec: Table | type[models.Model]) -> Table:
    return spec if isinstance(spec, Table) else Table(spec)


def fingerprint(tables: Iterable[Table | type[models.Model]]) -> dict[str, Any]:
    """What the tables hold now, compactly: equal fingerprints mean nothing was written to them."""
    out: dict[str, Any] = {}
    for spec in map(_table, tables):
        rows = spec.model._default_manager.all()
        if spec.fields:
            digest = hashlib.sha256()
            for values in rows.order_by("pk").values_list("pk", *spec.fields):
                digest.update(repr(values).encode())
            out[spec.label] = (rows.count(), digest.hexdigest())
            continue
        names = {f.name for f in spec.model._meta.concrete_fields}
        aggregates: dict[str, Any] = {"rows": Count("pk"), "top": Max("pk")}
        if "version" in names:
            aggregates["versions"] = Sum("version")
        if "updated_at" in names:
            aggregates["updated"] = Max("updated_at")
        out[spec.label] = rows.aggregate(**aggregates)
    return out


def is_allowed(outcome: Outcome) -> bool:
    """2xx, or a redirect that is not to the sign-in page (a page's answer to a successful POST)."""
    return isinstance(outcome, int) and 200 <= outcome < 400


@dataclass(frozen=True)
class WriteCase:
    """One write, and the outcome every role must get.

    ``url`` and ``payload`` are strings/dicts or builders called with (role, prepared), where
    ``prepared`` is what ``prepare(role)`` returned inside the attempt's savepoint (e.g. the id of a
    token the role just made), or None. ``api`` sends JSON and expects 401 for ``LOGIN``; a page sends
    a form (multipart, so files work) and expects a redirect to ``settings.LOGIN_URL``; an API upload
    (``api`` and ``form``) sends a form and expects 401. ``writes(role)``
    says whether an allowed attempt must change the tables (default: always; e.g. an anonymous visitor
    choosing a language is answered but stores nothing)."""

    name: str
    method: str
    url: str | Callable[[Role, Any], str]
    expected: Mapping[Role, Outcome]
    tables: Sequence[Table | type[models.Model]]
    payload: Mapping[str, Any] | Callable[[Role, Any], Mapping[str, Any] | None] | None = None
    api: bool = True
    prepare: Callable[[Role], Any] | None = None
    writes: Callable[[Role], bool] = lambda role: True  # noqa: E731
    deviations: Mapping[Role, Outcome] = field(default_factory=dict)
    headers: Mapping[str, str] = field(default_factory=dict)
    route: str = ""  # the path as the access matrix writes it (/zones/{code}/decide/), to find its row
    form: bool = False  # an API operation whose body is a multipart form (an upload), not JSON

    def url_for(self, role: Role, prepared: Any) -> str:
        return self.url(role, prepared) if callable(self.url) else self.url

    def payload_for(self, role: Role, prepared: Any) -> Mapping[str, Any] | None:
        return self.payload(role, prepared) if callable(self.payload) else self.payload


@dataclass(frozen=True)
class Attempt:
    """What one role got: the status, where a redirect went, and whether the tables changed."""

    role: Role
    intended: Outcome
    today: Outcome
    status: int
    location: str
    written: bool
    problems: tuple[str, ...]


@dataclass(repr=False)
class WriteReport:
    """Every attempt of one case; truthy when any attempt went wrong."""

    case: str
    attempts: list[Attempt] = field(default_factory=list)

    @property
    def failures(self) -> list[Attempt]:
        return [a for a in self.attempts if a.problems]

    def observed(self) -> dict[Role, Outcome]:
        """role → what each role got, in the vocabulary of the expectation (for updating a table)."""
        return {a.role: _observed(a) for a in self.attempts}

    def __bool__(self) -> bool:
        return bool(self.failures)

    def __str__(self) -> str:
        lines = [f"write matrix {self.case}: {len(self.failures)} of {len(self.attempts)} roles wrong"]
        for a in self.failures:
            lines.append(f"  {a.role}: expected {a.today}, got {_observed(a)}: {'; '.join(a.problems)}")
        return "\n".join(lines)

    __repr__ = __str__  # pytest shows an assertion's message object by its repr


def _observed(attempt: Attempt) -> Outcome:
    return LOGIN if attempt.status in (301, 302) and _is_login(attempt.location) else attempt.status


def _is_login(location: str) -> bool:
    return location.split("?", 1)[0] == resolve_url(settings.LOGIN_URL)


def _send(client: Client, case: WriteCase, url: str, payload: Mapping[str, Any] | None) -> HttpResponseBase:
    method = case.method.lower()
    headers = dict(case.headers) or None
    if case.api and not case.form:
        body = json.dumps(payload) if payload is not None else ""
        return client.generic(case.method.upper(), url, body, "application/json", headers=headers)
    if method == "post":
        return client.post(url, dict(payload or {}), headers=headers)
    return client.generic(case.method.upper(), url, headers=headers)


def _judge(case: WriteCase, role: Role, response: HttpResponseBase, written: bool) -> Attempt:
    intended = case.expected[role]
    today = case.deviations.get(role, intended)
    status = response.status_code
    location = response.get("Location", "") if status in (301, 302) else ""
    problems: list[str] = []
    if today == LOGIN:
        login_answer = status == 401 if case.api else status in (301, 302) and _is_login(location)
        if not login_answer:
            problems.append("not a sign-in answer" + (f" (to {location})" if location else ""))
    elif status != today:
        problems.append(f"status {status}")
    elif status in (301, 302) and _is_login(location):
        problems.append("a redirect to the sign-in page, not the page's own answer")
    if is_allowed(intended) and case.writes(role) and not written:
        problems.append("nothing was written")
    if not is_allowed(intended) and written:
        problems.append("refused, yet the tables changed")
    if not is_allowed(intended) and status >= 500:
        problems.append("server error")
    return Attempt(role, intended, today, status, location, written, tuple(problems))


class _Rollback(Exception):
    pass


def check_write_matrix(case: WriteCase, clients: Mapping[Role, Client]) -> WriteReport:
    """Try the write once per role of ``case.expected`` with that role's client, each attempt in a savepoint
    rolled back afterwards. Every role of the expectation needs a client and vice versa, so that a role
    added to the demo cannot be forgotten."""
    report = WriteReport(case.name)
    missing = set(case.expected) ^ set(clients)
    if missing:
        raise ValueError(f"{case.name}: the expectation and the clients differ in roles {sorted(missing)}")
    unknown = set(case.deviations) - set(case.expected)
    if unknown:
        raise ValueError(f"{case.name}: deviations for unknown roles {sorted(unknown)}")
    for role, client in clients.items():
        attempt: Attempt | None = None
        try:
            with transaction.atomic():
                prepared = case.prepare(role) if case.prepare else None
                url, payload = case.url_for(role, prepared), case.payload_for(role, prepared)
                before = fingerprint(case.tables)
                response = client_call(client, case, url, payload)
                written = fingerprint(case.tables) != before
                attempt = _judge(case, role, response, written)
                raise _Rollback
        except _Rollback:
            pass
        assert attempt is not None
        report.attempts.append(attempt)
    return report


def client_call(
    client: Client, case: WriteCase, url: str, payload: Mapping[str, Any] | None
) -> HttpResponseBase:
    """One request of the case (public so that a test can send a single attempt the same way)."""
    client.raise_request_exception = False  # a server error is an outcome to report, not a crash
    return _send(client, case, url, payload)
