"""The audited actions of the cooperation records and the fund, with their words in both languages, and
where each record lies (its audit anchors): the auditors and offices whose scope holds it read its entries."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongcheng.core.models import MetroMember
from tongcheng.kit.auditing import Anchors, register_action, register_anchors

from .models import (
    ApportionmentFactor,
    Enterprise,
    Establishment,
    FundCommitment,
    FundContribution,
    FundDisbursement,
    Park,
    ParkYear,
    Project,
    ProvinceRule,
)

ACTIONS = (
    ("park.create", _("Park created")),
    ("park.update", _("Park edited")),
    ("park_year.save", _("Park results of a year recorded")),
    ("enterprise.create", _("Enterprise created")),
    ("enterprise.update", _("Enterprise edited")),
    ("establishment.create", _("Establishment added")),
    ("establishment.update", _("Establishment edited")),
    ("factor.save", _("Apportionment factors recorded")),
    ("project.create", _("Project created")),
    ("project.update", _("Project edited")),
    ("project.start_construction", _("Project construction started")),
    ("project.start_production", _("Project production started")),
    ("province_rule.save", _("Province rule recorded")),
    ("fund.commitment", _("Fund commitment recorded")),
    ("fund.contribution.create", _("Fund contribution recorded")),
    ("fund.contribution.update", _("Fund contribution edited")),
    ("fund.disbursement.create", _("Fund disbursement recorded")),
    ("fund.disbursement.update", _("Fund disbursement edited")),
)
for _code, _label in ACTIONS:
    register_action(_code, _label)


@register_anchors(Park)
def _park(obj: Park) -> Anchors:
    return {"zone_id": obj.zone_id, "jurisdiction_id": obj.host_id}


@register_anchors(ParkYear)
def _park_year(obj: ParkYear) -> Anchors:
    return _park(obj.park)


@register_anchors(Project)
def _project(obj: Project) -> Anchors:
    return {"zone_id": obj.zone_id}


@register_anchors(Enterprise)
def _enterprise(obj: Enterprise) -> Anchors:
    return {"zone_id": obj.zone_id, "jurisdiction_id": obj.jurisdiction_id}


@register_anchors(Establishment)
def _establishment(obj: Establishment) -> Anchors:
    return _enterprise(obj.enterprise)


@register_anchors(ApportionmentFactor)
def _factor(obj: ApportionmentFactor) -> Anchors:
    return _enterprise(obj.establishment.enterprise)


@register_anchors(ProvinceRule)
def _province_rule(obj: ProvinceRule) -> Anchors:
    # The metropolitan area reaching into the province records its rule: its office and auditors read it.
    metro_id = (
        MetroMember.objects.filter(jurisdiction__path__startswith=obj.province.path)
        .order_by("metro_id")
        .values_list("metro_id", flat=True)
        .first()
    )
    return {"jurisdiction_id": obj.province_id, "metro_id": metro_id}


def _fund(obj) -> Anchors:
    return {"zone_id": obj.zone_id}


for _model in (FundCommitment, FundContribution, FundDisbursement):
    register_anchors(_model)(_fund)
