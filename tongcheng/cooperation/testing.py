"""Test data of the cooperation records and funds, built through their services as the actor given (like
``tongcheng.core.testing``): a refusal fails the test at once with the service's code, field and message.
Actors may be given as usernames, zones by code, jurisdictions by code. Only test code imports this."""

from __future__ import annotations

import datetime as dt
from typing import Any

from tongcheng.core.models import AdjacentZone, Jurisdiction, User
from tongcheng.kit.testing import built

from .models import Enterprise, Park, Project
from .services import fund, projects, records

__all__ = [
    "as_user",
    "make_contribution",
    "make_enterprise",
    "make_park",
    "make_project",
    "place",
    "zone",
]


def as_user(actor: Any) -> User:
    return User.objects.get(username=actor) if isinstance(actor, str) else actor


def zone(code: Any) -> AdjacentZone:
    return AdjacentZone.objects.get(code=code) if isinstance(code, str) else code


def place(code: Any) -> Jurisdiction:
    return Jurisdiction.objects.current().get(code=code) if isinstance(code, str) else code


def make_park(
    actor: Any,
    *,
    code: str = "test-park",
    zone_code: Any = "pukou-nanqiao",
    host: Any = "341103",
    partners: tuple = ("320111",),
    **values: Any,
) -> Park:
    values.setdefault("name", "测试园区")
    return built(
        f"make_park({code})",
        lambda: records.create_park(
            actor=as_user(actor),
            code=code,
            zone=zone(zone_code),
            host=place(host),
            partners=[place(p) for p in partners],
            **values,
        ),
    )


def make_enterprise(
    actor: Any, *, credit_code: str, jurisdiction: Any = "341103", zone_code: Any = None, **values: Any
) -> Enterprise:
    values.setdefault("name", "测试企业")
    values.setdefault("industry", "C39")
    return built(
        f"make_enterprise({credit_code})",
        lambda: records.create_enterprise(
            actor=as_user(actor),
            credit_code=credit_code,
            jurisdiction=place(jurisdiction),
            zone=zone(zone_code) if zone_code else None,
            **values,
        ),
    )


def make_project(
    actor: Any,
    *,
    code: str = "test-project",
    zone_code: Any = "pukou-nanqiao",
    mode: str = "industrial_park",
    attracted_by: tuple = (),
    **values: Any,
) -> Project:
    values.setdefault("name", "测试项目")
    return built(
        f"make_project({code})",
        lambda: projects.create_project(
            actor=as_user(actor),
            code=code,
            zone=zone(zone_code),
            mode=mode,
            attracted_by=[place(p) for p in attracted_by],
            **values,
        ),
    )


def make_contribution(
    actor: Any,
    *,
    zone_code: Any = "pukou-nanqiao",
    party: Any = "320111",
    amount_fen: int = 100,
    day: dt.date = dt.date(2026, 1, 5),
    kind: str = "cash",
    reference: str = "测试缴款1号",
) -> Any:
    return built(
        "make_contribution",
        lambda: fund.create_contribution(
            actor=as_user(actor),
            zone=zone(zone_code),
            party=place(party),
            kind=kind,
            amount_fen=amount_fen,
            date=day,
            reference=reference,
        ),
    )


def make_pn_samples() -> None:
    """The 浦口—南谯 records the demo holds and some tests name (its co-built park, 华诺半导体 and its
    project), made through the services where they are missing (on the small demo, which has none)."""
    from .demo import synthetic_credit_code

    if Park.objects.filter(code="pn-cobuilt-park").exists():
        return
    park = make_park(
        "office_pn", code="pn-cobuilt-park", name="南谯浦口一体化发展共建合作园区", area_m2=666_667
    )
    enterprise = make_enterprise(
        "office_pn",
        credit_code=synthetic_credit_code("huanuo", "341103"),
        name="华诺半导体",
        zone_code="pukou-nanqiao",
    )
    make_project(
        "office_pn",
        code="pn-huanuo",
        name="华诺半导体项目",
        park=park,
        enterprise=enterprise,
        investment_fen=12 * 10**10,
        attracted_by=("320111", "341103"),
    )
