"""The investment development fund of a zone (S-B1): commitments, contributions, disbursements, the arrears
and the cumulative cost shares computed from them, and who may read and record them."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongcheng.cooperation.models import FundCommitment, FundContribution, FundDisbursement
from tongcheng.cooperation.services import fund
from tongcheng.cooperation.testing import as_user, make_contribution, place, zone
from tongcheng.kit.services import ConflictError, ForbiddenError, NotFoundError, ValidationFailed

WAN = 1_000_000


def _position(code: str, as_of: dt.date):
    z = zone(code)
    return fund.fund_position(
        z,
        commitments=FundCommitment.objects.filter(zone=z).select_related("party"),
        contributions=FundContribution.objects.filter(zone=z).select_related("party"),
        disbursements=FundDisbursement.objects.filter(zone=z),
        as_of=as_of,
    )


@pytest.mark.django_db
def test_given_the_demo_fund_of_pukou_nanqiao_when_its_position_is_computed_then_arrears_and_shares_are_exact():
    """Given 浦口 committed 2000万 a year from 2023 and paid 5800万, 南谯 3000万 a year and paid 9000万, when
    the position on 2026-11-30 is computed (2026 not yet due), then 浦口 owes 200万, 南谯 nothing, and the
    cost shares are 3919 / 6081 basis points (largest remainder), adding up to 10,000."""
    position = _position("pukou-nanqiao", dt.date(2026, 11, 30))

    by_code = {p.party.code: p for p in position.parties}
    assert [p.party.code for p in position.parties] == ["320111", "341103"]
    assert (by_code["320111"].committed_due, by_code["320111"].contributed) == (6000 * WAN, 5800 * WAN)
    assert by_code["320111"].arrears == 200 * WAN and by_code["341103"].arrears == 0
    assert (by_code["320111"].share_bp, by_code["341103"].share_bp) == (3919, 6081)
    assert position.committed_total == 20000 * WAN and position.year_totals()[2026] == 5000 * WAN
    assert position.disbursed == 3800 * WAN and position.balance == 11000 * WAN
    assert by_code["341103"].contributed_by_kind == {"land": 4500 * WAN, "cash": 4500 * WAN}


@pytest.mark.django_db
def test_given_the_end_of_a_year_when_the_position_is_taken_that_day_then_the_years_commitment_is_due():
    before = _position("pukou-nanqiao", dt.date(2025, 12, 30))
    on = _position("pukou-nanqiao", dt.date(2025, 12, 31))

    pukou_before = next(p for p in before.parties if p.party.code == "320111")
    pukou_on = next(p for p in on.parties if p.party.code == "320111")
    assert pukou_on.committed_due - pukou_before.committed_due == 2000 * WAN
    # The 2025-12-28 payment counts on both days.
    assert pukou_before.contributed == pukou_on.contributed == 5800 * WAN


@pytest.mark.django_db
def test_given_jiangning_bowang_whose_member_is_a_street_when_its_parties_are_listed_then_jiangning_district_is_one():
    assert [j.code for j in fund.parties_of(zone("jiangning-bowang"))] == ["320115", "340506"]


def test_given_no_contribution_when_shares_are_asked_then_there_are_none():
    assert fund.cost_shares_bp({"320111": 0, "341103": 0}) == {}


@given(
    st.dictionaries(
        st.sampled_from(["320111", "341103", "320115", "340506", "320100"]),
        st.integers(min_value=0, max_value=10**14),
        min_size=1,
    )
)
def test_cost_shares_always_add_up_to_exactly_ten_thousand(contributed):
    shares = fund.cost_shares_bp(contributed)
    if sum(contributed.values()) == 0:
        assert shares == {}
    else:
        assert sum(shares.values()) == 10_000
        assert all(0 <= s <= 10_000 for s in shares.values())
        # No party is off by more than one basis point from its exact share.
        total = sum(contributed.values())
        assert all(abs(shares[c] * total - contributed[c] * 10_000) < total for c in contributed)


@pytest.mark.django_db
def test_given_a_contribution_when_the_office_records_it_then_it_is_audited_and_counts():
    row = make_contribution("office_pn", party="341103", amount_fen=50 * WAN, reference="测试缴款1号")

    position = _position("pukou-nanqiao", dt.date(2026, 11, 30))
    nanqiao = next(p for p in position.parties if p.party.code == "341103")
    assert nanqiao.contributed == 9050 * WAN
    assert row.history.count() == 1


@pytest.mark.django_db
def test_given_a_jurisdiction_that_is_not_a_party_when_it_contributes_then_it_is_refused():
    with pytest.raises(ValidationFailed) as caught:
        fund.create_contribution(
            actor=as_user("office_pn"),
            zone=zone("pukou-nanqiao"),
            party=place("340506"),
            kind="cash",
            amount_fen=1,
            date=dt.date(2026, 1, 1),
            reference="x",
        )

    assert caught.value.code == "not_a_party" and caught.value.field == "party"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "error"),
    [
        ("finance_pukou", ForbiddenError),
        ("leader_pn", ForbiddenError),
        ("officer_pukou", NotFoundError),
        ("office_jb", NotFoundError),
        ("finance_jiangning", NotFoundError),
    ],
)
def test_given_a_role_that_may_not_record_the_fund_when_it_tries_then_403_if_it_reads_it_else_404(
    username, error
):
    with pytest.raises(error):
        fund.save_commitment(
            actor=as_user(username),
            zone=zone("pukou-nanqiao"),
            party=place("320111"),
            year=2027,
            amount_fen=1,
        )
    assert not FundCommitment.objects.filter(year=2027).exists()


@pytest.mark.django_db
def test_given_a_stale_version_when_a_commitment_is_saved_again_then_it_is_refused():
    row = FundCommitment.objects.get(zone__code="pukou-nanqiao", party__code="320111", year=2026)

    saved = fund.save_commitment(
        actor=as_user("office_pn"),
        zone=row.zone,
        party=row.party,
        year=2026,
        amount_fen=2500 * WAN,
        expected_version=row.version,
    )
    assert saved.version == row.version + 1
    with pytest.raises(ConflictError):
        fund.save_commitment(
            actor=as_user("office_pn"),
            zone=row.zone,
            party=row.party,
            year=2026,
            amount_fen=1,
            expected_version=row.version,
        )


@pytest.mark.django_db
def test_given_a_disbursement_without_a_resolution_when_it_is_recorded_then_the_resolution_is_required():
    with pytest.raises(ValidationFailed) as caught:
        fund.create_disbursement(
            actor=as_user("office_pn"),
            zone=zone("pukou-nanqiao"),
            purpose="infrastructure",
            name="道路",
            amount_fen=100,
            date=dt.date(2026, 1, 1),
            resolution="",
        )

    assert caught.value.field == "resolution"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "reads"),
    [
        ("office_pn", True),
        ("leader_pn", True),
        ("auditor_pn", True),
        ("finance_pukou", True),
        ("finance_nanqiao", True),
        ("office_metro", True),
        ("officer_pukou", False),
        ("clerk_nanqiao", False),
        ("finance_jiangning", False),
        ("office_jb", False),
        ("applicant_demo", False),
    ],
)
def test_given_a_role_when_it_asks_for_pukou_nanqiaos_fund_then_only_the_zone_and_its_parties_finance_read_it(
    username, reads
):
    assert fund.may_read_fund(as_user(username), zone("pukou-nanqiao")) is reads
    assert (
        FundContribution.objects.visible_to(as_user(username)).filter(zone__code="pukou-nanqiao").exists()
        is reads
    )


@pytest.mark.django_db
def test_given_the_city_level_ninghuai_cooperation_when_a_district_finance_bureau_asks_then_it_is_not_its_party():
    """南京市 is the party of 宁淮合作; 江宁区's finance bureau reaches the zone's records but not its fund."""
    assert not fund.may_read_fund(as_user("finance_jiangning"), zone("ninghuai-cooperation"))
    assert fund.may_read_fund(as_user("finance_pukou"), zone("ninghuai"))
