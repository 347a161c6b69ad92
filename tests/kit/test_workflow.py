"""The workflow step (tongcheng.kit.workflow.transitions), on the core's worked example: the decision on a
proposed zone (proposed → active "approve", proposed → rejected "reject", declared in
core.services.zones.ZONE_WORKFLOW)."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils.translation import gettext_lazy

from tongcheng.core.models import AdjacentZone, AuditEntry, MetroArea, User, ZoneStatus
from tongcheng.core.services import zones
from tongcheng.kit.services import ConflictError, ForbiddenError, NotFoundError, ValidationFailed
from tongcheng.kit.workflow.declaration import Transition, Workflow
from tongcheng.kit.workflow.models import TransitionLog
from tongcheng.kit.workflow.signals import transition_committed
from tongcheng.kit.workflow.transitions import allowed_transitions, transition, transition_log

pytestmark = pytest.mark.django_db


def user(name: str) -> User:
    return User.objects.get(username=name)


def propose(
    name: str = "溧水—博望", code: str = "lishui-bowang", established: dt.date = dt.date(2027, 1, 1)
) -> AdjacentZone:
    """A zone 江宁—博望's office proposes beyond its territory: it waits for the metro office."""
    zone = zones.create_zone(
        actor=user("office_jb"),
        metro=MetroArea.objects.get(code="nanjing"),
        code=code,
        name=name,
        kind="cross_border_demo_zone",
        established=established,
        members=[zones.MemberSpec(code="320117"), zones.MemberSpec(code="340506")],
    )
    assert zone.status == ZoneStatus.PROPOSED
    return zone


def logs(zone: AdjacentZone) -> list[tuple[str, str, str, str, str]]:
    return list(
        TransitionLog.objects.filter(object_id=zone.pk, content_type__model="adjacentzone")
        .order_by("id")
        .values_list("transition", "source_state", "target_state", "actor_name", "note")
    )


def written(zone: AdjacentZone) -> tuple:
    """Everything a decision writes: state, version, note, history rows, log rows, audit entries."""
    zone.refresh_from_db()
    return (
        zone.status,
        zone.version,
        zone.decision_note,
        zone.history.count(),
        logs(zone),
        list(AuditEntry.objects.filter(zone=zone).values_list("action", flat=True)),
    )


def test_a_decision_is_logged_as_a_transition_audited_and_kept_in_history():
    """Given a proposed zone at version v, when the metro office approves it with a note, then it is active at
    version v+1, a TransitionLog row says who moved it from proposed to active and why, the audit entry
    names the transition, and the zone's change history has a row for the decision."""
    zone = propose()
    version, history = zone.version, zone.history.count()
    zones.approve_zone(actor=user("office_metro"), zone=zone, note="同意设立", expected_version=version)
    zone.refresh_from_db()
    assert (zone.status, zone.version, zone.decision_note) == ("active", version + 1, "同意设立")
    assert logs(zone) == [("approve", "proposed", "active", "office_metro", "同意设立")]
    log = TransitionLog.objects.get(object_id=zone.pk, content_type__model="adjacentzone")
    assert log.actor == user("office_metro") and log.version == version + 1
    entry = AuditEntry.objects.filter(zone=zone, action="zone.approve").get()
    assert entry.data["transition"] == "approve"
    assert (entry.data["from"], entry.data["to"], entry.data["note"]) == ("proposed", "active", "同意设立")
    assert zone.history.count() == history + 1


def test_an_illegal_transition_is_409_invalid_transition_and_writes_nothing():
    """Given a zone the metro office rejected, when it tries to approve it (service), then the refusal is a
    ConflictError with the code invalid_transition (not stale_version, not forbidden) and nothing changes."""
    zone = propose()
    zones.reject_zone(actor=user("office_metro"), zone=zone, note="与既有示范区重叠")
    zone.refresh_from_db()
    before = written(zone)
    with pytest.raises(ConflictError) as refused:
        transition(user("office_metro"), zone, "approve", expected_version=zone.version)
    assert refused.value.code == "invalid_transition" and refused.value.status == 409
    assert refused.value.field == "status"
    assert written(zone) == before
    assert logs(zone) == [("reject", "proposed", "rejected", "office_metro", "与既有示范区重叠")]


def test_an_illegal_transition_through_the_api_is_409_invalid_transition(client_for):
    """Given a rejected proposal, when the metro office posts approve to the API, then it answers 409 with
    code invalid_transition naming the status field and saying in words (here Chinese) which step the state
    forbids, and the zone stays rejected with one log row."""
    zone = propose()
    metro = client_for("office_metro")
    response = metro.post(
        "/api/v1/zones/lishui-bowang/reject", {"note": "重叠"}, content_type="application/json"
    )
    assert response.status_code == 200
    response = metro.post(
        "/api/v1/zones/lishui-bowang/approve",
        {},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert response.status_code == 409
    body = response.json()
    assert (body["code"], body["field"]) == ("invalid_transition", "status")
    assert body["message"] == "记录当前为“已驳回”，不能执行“批准”。"
    zone.refresh_from_db()
    assert zone.status == "rejected" and len(logs(zone)) == 1


def test_a_stale_version_is_409_stale_version_and_writes_nothing():
    """Given the metro office opened a proposal at version v, when someone edits the zone meanwhile and the
    office then approves what it saw, then the decision is refused with stale_version and nothing changes."""
    zone = propose()
    seen = zone.version
    zones.update_zone(
        actor=user("office_metro"), zone=zone, changes={"name_en": "Lishui-Bowang"}, expected_version=seen
    )
    zone.refresh_from_db()
    before = written(zone)
    with pytest.raises(ConflictError) as refused:
        zones.approve_zone(actor=user("office_metro"), zone=zone, expected_version=seen)
    assert refused.value.code == "stale_version" and refused.value.field == "version"
    assert written(zone) == before
    # The same object, read before the edit, is stale too when no version is passed.
    stale = AdjacentZone.objects.get(pk=zone.pk)
    stale.version = seen
    with pytest.raises(ConflictError) as refused:
        zones.approve_zone(actor=user("office_metro"), zone=stale)
    assert refused.value.code == "stale_version"
    assert written(zone) == before


@pytest.mark.parametrize(
    "username,refusal",
    [
        ("office_jb", ForbiddenError),  # the proposer follows its proposal but may not decide on it
        ("officer_bowang", NotFoundError),
        ("auditor_jb", NotFoundError),
        ("office_pn", NotFoundError),
        ("finance_pukou", NotFoundError),
        ("applicant_demo", NotFoundError),
    ],
)
@pytest.mark.parametrize("name", ["approve", "reject"])
def test_who_may_not_decide_is_refused_403_or_404_and_nothing_is_written(username, refusal, name):
    """Given a proposal, when a user who sees it but holds no approve/reject action tries the transition, it
    is 403; a user who does not see it gets 404 (as for a missing zone); in both cases nothing is written."""
    zone = propose()
    before = written(zone)
    with pytest.raises(refusal):
        transition(user(username), zone, name, expected_version=zone.version, note="理由")
    assert written(zone) == before


def test_the_metro_office_may_take_both_transitions_of_a_proposal():
    """The allowed case of the permission table above (2xx): the metro office approves one proposal and
    rejects another."""
    # Not the same zone twice (refused as a duplicate): another name and another start.
    first, second = propose(), propose("溧水—博望二", "lishui-bowang-2", dt.date(2027, 2, 1))
    transition(user("office_metro"), first, "approve", expected_version=first.version)
    transition(user("office_metro"), second, "reject", expected_version=second.version, note="重复")
    assert AdjacentZone.objects.get(pk=first.pk).status == "active"
    assert AdjacentZone.objects.get(pk=second.pk).status == "rejected"


@pytest.mark.parametrize(
    "note,code", [("", "required"), ("   ", "required"), ("理由\x07", "control_character")]
)
def test_a_rejection_needs_a_clean_reason(note, code):
    zone = propose()
    before = written(zone)
    with pytest.raises(ValidationFailed) as refused:
        zones.reject_zone(actor=user("office_metro"), zone=zone, note=note)
    assert (refused.value.code, refused.value.field) == (code, "note")
    assert written(zone) == before


def test_an_unknown_transition_is_a_located_422():
    zone = propose()
    with pytest.raises(ValidationFailed) as refused:
        transition(user("office_metro"), zone, "publish", expected_version=zone.version)
    assert (refused.value.code, refused.value.field) == ("unknown_transition", "transition")


def test_a_guard_blocks_the_transition_with_its_reason(monkeypatch):
    """Given approve guarded by a check that fails, when the metro office approves, then it is 409
    transition_blocked with the guard's reason, nothing is written, and the queue offers only reject."""
    step = zones.ZONE_WORKFLOW.transitions["approve"]
    monkeypatch.setitem(
        zones.ZONE_WORKFLOW.transitions,
        "approve",
        dataclasses.replace(
            step, guard=lambda zone: "成员尚未全部确认" if zone.status == "proposed" else None
        ),
    )
    zone = propose()
    before = written(zone)
    with pytest.raises(ConflictError) as refused:
        zones.approve_zone(actor=user("office_metro"), zone=zone)
    assert (refused.value.code, str(refused.value.message)) == ("transition_blocked", "成员尚未全部确认")
    assert written(zone) == before
    assert [t.name for t in allowed_transitions(user("office_metro"), [zone])[zone.pk]] == ["reject"]


def test_committed_transitions_are_announced_and_the_proposer_notified(
    settings, django_capture_on_commit_callbacks
):
    """Given a notifier configured, when the metro office approves a proposal and the transaction commits,
    then transition_committed is sent once and the notifier is called with the proposer as recipient."""
    received, notified = [], []

    def receiver(sender, instance, log, actor, transition, recipients, **kwargs):
        received.append(
            (sender, instance.code, log.target_state, actor.username, transition.name, recipients)
        )

    settings.WORKFLOW_NOTIFIER = f"{__name__}.record_notification"
    RECORDED.clear()
    zone = propose()
    transition_committed.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            zones.approve_zone(actor=user("office_metro"), zone=zone)
    finally:
        transition_committed.disconnect(receiver)
    notified = list(RECORDED)
    assert received == [
        (AdjacentZone, "lishui-bowang", "active", "office_metro", "approve", [user("office_jb")])
    ]
    assert len(notified) == 1
    recipients, title, link, anchor = notified[0]
    assert recipients == [user("office_jb")] and anchor.pk == zone.pk
    assert "溧水—博望" in str(title)


def test_a_rolled_back_transition_is_neither_logged_nor_announced(
    settings, django_capture_on_commit_callbacks
):
    """Given a transition taken inside a transaction that then fails, then no log row, no audit entry, no
    announcement and no notification remain."""
    received = []

    def receiver(sender, **kwargs):
        received.append(kwargs["log"].pk)

    settings.WORKFLOW_NOTIFIER = f"{__name__}.record_notification"
    RECORDED.clear()
    zone = propose()
    before = written(zone)
    transition_committed.connect(receiver)
    try:
        with (
            django_capture_on_commit_callbacks(execute=True) as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            zones.approve_zone(actor=user("office_metro"), zone=zone)
            raise RuntimeError("the calling service failed after the transition")
    finally:
        transition_committed.disconnect(receiver)
    assert callbacks == [] and received == [] and RECORDED == []
    assert written(zone) == before


RECORDED: list[tuple] = []


def record_notification(recipients, title, link, anchor=None):
    RECORDED.append((list(recipients), title, link, anchor))


def test_the_queue_lists_each_rows_transitions_with_a_fixed_number_of_queries(django_assert_num_queries):
    """Given a page of zones (three proposals and the demo's active zones), when the allowed transitions are
    listed for the metro office, the proposer and an outsider, then each gets the right ones per row, with
    one query for sight plus one per action (approve, reject) — the same for 3 rows as for all of them."""
    proposals = [propose(f"溧水—博望{i}", f"lishui-bowang-{i}", dt.date(2027, 1, 1 + i)) for i in range(3)]
    page = list(AdjacentZone.objects.order_by("pk"))
    assert len(page) > len(proposals)
    metro, proposer, outsider = user("office_metro"), user("office_jb"), user("office_pn")
    for person in (metro, proposer, outsider):
        person.__dict__.pop("_tongcheng_scope", None)
        allowed_transitions(person, page[:1])  # load each user's scope once, outside the counted block
    with django_assert_num_queries(3):
        allowed = allowed_transitions(metro, page)
    with django_assert_num_queries(3):
        allowed_transitions(metro, proposals)
    names = {pk: [t.name for t in steps] for pk, steps in allowed.items()}
    for zone in page:
        assert names[zone.pk] == (["approve", "reject"] if zone.status == "proposed" else [])
    mine = allowed_transitions(proposer, page)
    assert all(mine[z.pk] == [] for z in proposals)  # sees its proposals, may not decide
    assert not set(allowed_transitions(outsider, proposals))  # does not see them at all


def test_the_transition_log_is_read_by_whoever_reads_the_zone():
    """Given an approved proposal, its log is read by the metro office and the proposer (who see the zone),
    through the queryset and the selector; 浦口—南谯's office, which does not see the zone, gets none of it
    and a 404 from the selector."""
    zone = propose()
    zones.approve_zone(actor=user("office_metro"), zone=zone)
    for name in ("office_metro", "office_jb"):
        assert TransitionLog.objects.visible_to(user(name)).filter(object_id=zone.pk).count() == 1
        assert [log.transition for log in transition_log(user(name), zone)] == ["approve"]
    assert not TransitionLog.objects.visible_to(user("office_pn")).filter(object_id=zone.pk).exists()
    with pytest.raises(NotFoundError):
        transition_log(user("office_pn"), zone)


def test_a_declaration_is_checked_when_it_is_made():
    """States must be the field's choices, transitions must name declared states and registered audit
    actions, and a model has one workflow."""
    states = dict(ZoneStatus.choices)
    approve = Transition(
        "approve",
        sources="proposed",
        target="active",
        action="approve",
        label=gettext_lazy("Approve"),
        audit_action="zone.approve",
    )
    assert approve.source_states == {"proposed"}  # a single source may be given as a string
    with pytest.raises(ImproperlyConfigured, match="choices"):
        Workflow(AdjacentZone, states={"proposed": "p", "active": "a"}, transitions=[approve])
    with pytest.raises(ImproperlyConfigured, match="unknown states"):
        Workflow(AdjacentZone, states=states, transitions=[dataclasses.replace(approve, target="archived")])
    with pytest.raises(ImproperlyConfigured, match="not registered"):
        Workflow(
            AdjacentZone, states=states, transitions=[dataclasses.replace(approve, audit_action="zone.x")]
        )
    with pytest.raises(ImproperlyConfigured, match="already has a workflow"):
        Workflow(AdjacentZone, states=states, transitions=[approve])
    with pytest.raises(ImproperlyConfigured, match="no field"):
        Workflow(MetroArea, states=states, transitions=[approve])
