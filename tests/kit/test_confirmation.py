"""Multi-party confirmation (tongcheng.kit.workflow.confirmations): the zone 浦口—南谯 confirmed by the
finance bureaus of both sides, fin-pukou (demo user finance_pukou) and fin-nanqiao (finance_nanqiao), as a
settlement will be."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import transaction

from tongcheng.core.models import AdjacentZone, AuditEntry, Jurisdiction, Organisation, User
from tongcheng.core.services import zones
from tongcheng.kit.services import ConflictError, ForbiddenError, NotFoundError, ValidationFailed
from tongcheng.kit.workflow import confirmations
from tongcheng.kit.workflow.confirmations import confirm, confirmation_state, reject, request_confirmations
from tongcheng.kit.workflow.models import Confirmation
from tongcheng.kit.workflow.signals import confirmation_completed, confirmation_rejected

ZONE = "pukou-nanqiao"
BUREAUS = ["fin-pukou", "fin-nanqiao"]


def user(name: str) -> User:
    return User.objects.get(username=name)


def zone() -> AdjacentZone:
    return AdjacentZone.objects.get(code=ZONE)


def bureau(key: str) -> Organisation:
    return Organisation.objects.get(key=key)


def ask(actor: str = "office_pn", parties: list[str] = BUREAUS) -> list[Confirmation]:
    return request_confirmations(user(actor), zone(), [bureau(k) for k in parties], role="finance")


def answers() -> list[tuple[int, str, str, str]]:
    return list(
        Confirmation.objects.filter(object_id=zone().pk, content_type__model="adjacentzone")
        .order_by("round", "organisation__key")
        .values_list("round", "organisation__key", "status", "decided_by_name")
    )


def written() -> tuple:
    return answers(), AuditEntry.objects.filter(action__startswith="confirmation.").count()


@pytest.fixture
def signals_seen():
    seen: list[tuple[str, str, int]] = []
    lock = threading.Lock()

    def completed(sender, instance, round, **kwargs):
        with lock:
            seen.append(("completed", instance.code, round))

    def rejected(sender, instance, round, confirmation, **kwargs):
        with lock:
            seen.append(("rejected", instance.code, round))

    confirmation_completed.connect(completed)
    confirmation_rejected.connect(rejected)
    yield seen
    confirmation_completed.disconnect(completed)
    confirmation_rejected.disconnect(rejected)


# --- one at a time ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_every_party_confirms_then_the_record_is_complete(signals_seen, django_capture_on_commit_callbacks):
    """Given confirmation asked of both finance bureaus, when 浦口 confirms the state is pending; when 南谯
    confirms too it is complete, each answer records who and when, and the completion hook fires once on
    commit."""
    assert confirmation_state(zone()) == "not_requested"
    ask()
    assert confirmation_state(zone()) == "pending"
    with django_capture_on_commit_callbacks(execute=True):
        confirm(user("finance_pukou"), zone(), bureau("fin-pukou"), expected_version=zone().version)
    assert confirmation_state(zone()) == "pending" and signals_seen == []
    with django_capture_on_commit_callbacks(execute=True):
        confirm(user("finance_nanqiao"), zone(), bureau("fin-nanqiao"), expected_version=zone().version)
    assert confirmation_state(zone()) == "complete"
    assert answers() == [
        (1, "fin-nanqiao", "confirmed", "finance_nanqiao"),
        (1, "fin-pukou", "confirmed", "finance_pukou"),
    ]
    row = Confirmation.objects.get(organisation__key="fin-pukou")
    assert row.decided_by == user("finance_pukou") and row.decided_at is not None
    assert row.object_version == zone().version
    assert signals_seen == [("completed", ZONE, 1)]
    actions = AuditEntry.objects.filter(zone=zone(), action__startswith="confirmation.").order_by("id")
    assert list(actions.values_list("action", "actor_name")) == [
        ("confirmation.request", "office_pn"),
        ("confirmation.confirm", "finance_pukou"),
        ("confirmation.confirm", "finance_nanqiao"),
    ]


@pytest.mark.django_db
def test_the_same_party_confirming_twice_is_409(django_capture_on_commit_callbacks):
    ask()
    confirm(user("finance_pukou"), zone(), bureau("fin-pukou"), expected_version=zone().version)
    before = written()
    with pytest.raises(ConflictError) as refused:
        confirm(user("finance_pukou"), zone(), bureau("fin-pukou"), expected_version=zone().version)
    assert refused.value.code == "already_answered" and refused.value.status == 409
    assert written() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username,refusal",
    [
        ("finance_pukou", None),
        ("finance_nanqiao", ForbiddenError),  # sees the zone, answers for the other bureau only
        ("office_pn", ForbiddenError),  # sees the zone, holds no finance role
        ("admin", ForbiddenError),  # a superuser is no party
        ("finance_jiangning", NotFoundError),  # does not see the zone
        ("auditor_jb", NotFoundError),
        ("applicant_demo", NotFoundError),
    ],
)
def test_who_may_confirm_for_a_party(username, refusal):
    """Given confirmation asked of fin-pukou, only a finance grant on fin-pukou confirms for it; one who sees
    the zone but does not answer for the party is 403, one who does not see it 404, and nothing is written
    when refused."""
    ask()
    before = written()
    call = lambda: confirm(user(username), zone(), bureau("fin-pukou"), expected_version=zone().version)  # noqa: E731
    if refusal is None:
        call()
        assert answers()[1] == (1, "fin-pukou", "confirmed", username)
        return
    with pytest.raises(refusal):
        call()
    with pytest.raises(refusal):
        reject(user(username), zone(), bureau("fin-pukou"), reason="不同意")
    assert written() == before


@pytest.mark.django_db
def test_a_party_confirms_the_version_it_read():
    """Given the zone edited after 浦口's bureau read it, its confirmation of the old version is 409
    stale_version and nothing is written; the version is required."""
    ask()
    seen = zone().version
    zones.update_zone(actor=user("office_pn"), zone=zone(), changes={"name_en": "P-N"}, expected_version=seen)
    before = written()
    for version in (seen, None):
        with pytest.raises(ConflictError) as refused:
            confirm(user("finance_pukou"), zone(), bureau("fin-pukou"), expected_version=version)
        assert refused.value.code == "stale_version"
    assert written() == before


@pytest.mark.django_db
def test_a_refusal_needs_a_reason_ends_the_round_and_a_new_round_can_be_asked(
    signals_seen, django_capture_on_commit_callbacks
):
    """Given both bureaus asked, a refusal without reason is 422; with a reason the state is rejected, the
    other bureau can no longer answer (409 round_refused), and once asked again a second round starts while
    the first round's answers are kept."""
    ask()
    with pytest.raises(ValidationFailed) as refused:
        reject(user("finance_nanqiao"), zone(), bureau("fin-nanqiao"), reason="  ")
    assert (refused.value.code, refused.value.field) == ("required", "reason")
    with django_capture_on_commit_callbacks(execute=True):
        reject(user("finance_nanqiao"), zone(), bureau("fin-nanqiao"), reason="分成比例与协议不符")
    assert confirmation_state(zone()) == "rejected"
    assert Confirmation.objects.get(organisation__key="fin-nanqiao").reason == "分成比例与协议不符"
    assert signals_seen == [("rejected", ZONE, 1)]
    with pytest.raises(ConflictError) as refused:
        confirm(user("finance_pukou"), zone(), bureau("fin-pukou"), expected_version=zone().version)
    assert refused.value.code == "round_refused"
    ask()
    assert confirmation_state(zone()) == "pending"
    assert answers() == [
        (1, "fin-nanqiao", "rejected", "finance_nanqiao"),
        (1, "fin-pukou", "pending", ""),
        (2, "fin-nanqiao", "pending", ""),
        (2, "fin-pukou", "pending", ""),
    ]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "username,refusal",
    [("office_pn", None), ("finance_pukou", ForbiddenError), ("office_jb", NotFoundError)],
)
def test_who_may_ask_for_confirmation(username, refusal):
    """Asking needs the change action on the record: 浦口—南谯's office may; its finance bureau sees the zone
    but may not (403); 江宁—博望's office does not see it (404); nothing is written when refused."""
    if refusal is None:
        ask(username)
        assert [status for _r, _k, status, _n in answers()] == ["pending", "pending"]
        return
    with pytest.raises(refusal):
        ask(username)
    assert written() == ([], 0)


@pytest.mark.django_db
def test_asking_is_refused_while_a_round_is_open_or_for_an_unseen_party():
    ask()
    with pytest.raises(ConflictError) as refused:
        ask()
    assert refused.value.code == "confirmation_pending"
    with pytest.raises(NotFoundError):  # 浦口—南谯's office does not see 博望's bureau
        request_confirmations(user("office_pn"), zone(), [bureau("fin-bowang")], role="finance")
    with pytest.raises(ValidationFailed) as refused:
        request_confirmations(user("office_pn"), zone(), [], role="finance")
    assert refused.value.code == "required"


@pytest.mark.django_db
def test_a_jurisdiction_party_is_answered_by_a_grant_in_that_jurisdiction():
    """Given confirmation asked of the jurisdictions 浦口区 and 南谯区 (not of organisations), 浦口's finance
    bureau (an organisation of 浦口区) answers for 浦口区 and not for 南谯区."""
    pukou = Jurisdiction.objects.current().get(code="320111")
    nanqiao = Jurisdiction.objects.current().get(code="341103")
    request_confirmations(user("office_pn"), zone(), [pukou, nanqiao], role="finance")
    confirm(user("finance_pukou"), zone(), pukou, expected_version=zone().version)
    with pytest.raises(ForbiddenError):
        confirm(user("finance_pukou"), zone(), nanqiao, expected_version=zone().version)
    assert confirmation_state(zone()) == "pending"


@pytest.mark.django_db
def test_confirmations_are_read_by_who_sees_the_record_or_answers_for_the_party():
    ask()
    rows = Confirmation.objects.filter(object_id=zone().pk)
    assert rows.visible_to(user("finance_pukou")).count() == 2
    assert rows.visible_to(user("auditor_pn")).count() == 2
    assert rows.visible_to(user("finance_jiangning")).count() == 0
    with pytest.raises(NotFoundError):
        confirmations.confirmations_of(user("finance_jiangning"), zone())
    assert len(confirmations.confirmations_of(user("office_pn"), zone())) == 2


@pytest.mark.django_db
def test_a_rolled_back_completion_is_not_announced(signals_seen, django_capture_on_commit_callbacks):
    ask()
    confirm(user("finance_pukou"), zone(), bureau("fin-pukou"), expected_version=zone().version)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        confirm(user("finance_nanqiao"), zone(), bureau("fin-nanqiao"), expected_version=zone().version)
        raise RuntimeError("the calling service failed")
    assert callbacks == [] and signals_seen == []
    assert confirmation_state(zone()) == "pending"


# --- at the same moment -------------------------------------------------------------------------------------


def _slow_decisions(monkeypatch):
    """Widen the window between reading the round and committing, so two unserialised answers would both
    read the other's row as pending (and neither would see the round complete)."""
    decide = confirmations._decide

    def slow(*args, **kwargs):
        decide(*args, **kwargs)
        time.sleep(0.3)

    monkeypatch.setattr(confirmations, "_decide", slow)


@pytest.mark.demo
def test_two_bureaus_confirming_at_once_are_both_recorded_and_complete_once(
    threads, signals_seen, monkeypatch
):
    """Given confirmation asked of both bureaus, when finance_pukou and finance_nanqiao confirm at the same
    moment, each on its own connection and transaction, then both succeed, both answers are recorded, the
    state is complete, and the completion hook fired exactly once, after the commit."""
    threads.one(ask)
    _slow_decisions(monkeypatch)
    version = threads.one(lambda: zone().version)
    results = threads.at_once(
        [
            lambda: confirm(user("finance_pukou"), zone(), bureau("fin-pukou"), expected_version=version),
            lambda: confirm(user("finance_nanqiao"), zone(), bureau("fin-nanqiao"), expected_version=version),
        ]
    )
    assert all(isinstance(r, Confirmation) for r in results), results
    assert threads.one(answers) == [
        (1, "fin-nanqiao", "confirmed", "finance_nanqiao"),
        (1, "fin-pukou", "confirmed", "finance_pukou"),
    ]
    assert threads.one(lambda: confirmation_state(zone())) == "complete"
    assert signals_seen == [("completed", ZONE, 1)]


@pytest.mark.demo
def test_the_same_bureau_confirming_twice_at_once_is_recorded_once(threads, monkeypatch):
    """Given confirmation asked, when finance_pukou's confirmation arrives twice at the same moment, one is
    recorded and the other is refused 409 already_answered."""
    threads.one(ask)
    _slow_decisions(monkeypatch)
    version = threads.one(lambda: zone().version)
    call = lambda: confirm(user("finance_pukou"), zone(), bureau("fin-pukou"), expected_version=version)  # noqa: E731
    results = threads.at_once([call, call])
    refused = [r for r in results if isinstance(r, ConflictError)]
    assert len(refused) == 1 and refused[0].code == "already_answered", results
    # The zone's own answers: the demo's final settlement has confirmations of its own.
    mine = Confirmation.objects.filter(status="confirmed", content_type__model="adjacentzone")
    assert threads.one(mine.count) == 1
    assert threads.one(lambda: AuditEntry.objects.filter(action="confirmation.confirm").count()) == 1
