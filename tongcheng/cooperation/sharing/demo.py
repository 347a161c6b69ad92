"""The demo's agreements and 24 months of receipts (called by ``core.demo.load_demo`` after the registry).

Real where the sources say something (../shared/domain/fiscal.md §1.2, zones.md §1.2): 浦口—南谯 shares the
district-level retained tax (区级留成) of the projects 浦口 brings into the co-built park **7 : 3**. The source
does not say which side gets 7; by its word order it is probably 南谯, and that is the demo's assumption,
written in the version's note: the office changes it by approving a new version. Everything else is
**synthetic**, marked so (``synthetic``, and "（演示）" in names): the district's fraction of the local share,
the ratios of 江宁—博望 (no source gives one) and of 宁淮 (the 深汕 model shares nothing; the demo shows the
川渝 stock/increment pattern instead), the enterprises (credit codes generated with a valid check character;
the cooperation records keep the real enterprises), and every amount.

Idempotent and respectful of users' work, as core's loader: an agreement a user has changed (any audited
action on it or its versions) is left as it is and named in the report; receipts, indicators and factors
that an import has touched (``synthetic`` false) are never overwritten; the rest is brought up to the demo's
values."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from tongcheng.cooperation.engine.io import uscc_with_check
from tongcheng.core.models import AdjacentZone

from ..models import (
    Agreement,
    AgreementVersion,
    ApportionmentFactor,
    Enterprise,
    Establishment,
    EstablishmentKind,
    IndicatorValue,
    Receipt,
    VersionStatus,
)
from . import canonical
from .loader import refresh_receipt_sums

__all__ = ["DEMO_ENTERPRISES", "DEMO_MONTHS", "load_sharing_demo", "demo_agreements"]

#: the 24 months of demo receipts (fixed, so that the demo is the same whenever it is loaded)
DEMO_MONTHS = [(2024 + (10 + k) // 12, (10 + k) % 12 + 1) for k in range(24)]  # 2024-11 … 2026-10
SYNTHETIC_NOTE = "演示数据（合成），非真实企业或金额。"
SYNTHETIC_NOTE_EN = "Demo data (synthetic): not a real enterprise or amount."


@dataclass(frozen=True)
class DemoEnterprise:
    code: str
    name: str
    zone: str
    jurisdiction: str  # the treasury that collects its taxes
    scale: int  # monthly VAT around this many 元


def _code(area: str, n: int) -> str:
    return uscc_with_check(f"91{area}MA2Y{n:04d}0")


# Synthetic enterprises (labelled "（演示）"), by zone. Their credit codes pass the GB 32100 check.
DEMO_ENTERPRISES: list[DemoEnterprise] = [
    DemoEnterprise(_code("341103", 1), "（演示）南浦智能装备有限公司", "pukou-nanqiao", "341103", 1_800_000),
    DemoEnterprise(_code("341103", 2), "（演示）滁浦新材料科技有限公司", "pukou-nanqiao", "341103", 900_000),
    DemoEnterprise(
        _code("341103", 3), "（演示）南谯汽车零部件有限公司", "pukou-nanqiao", "341103", 1_200_000
    ),
    DemoEnterprise(_code("341103", 4), "（演示）浦谯生物医药有限公司", "pukou-nanqiao", "341103", 600_000),
    DemoEnterprise(_code("341103", 5), "（演示）乌衣物流有限公司", "pukou-nanqiao", "341103", 300_000),
    DemoEnterprise(
        _code("340506", 11), "（演示）博望数控机床有限公司", "jiangning-bowang", "340506", 1_500_000
    ),
    DemoEnterprise(
        _code("340506", 12), "（演示）丹阳镇刃模具有限公司", "jiangning-bowang", "340506", 700_000
    ),
    DemoEnterprise(_code("320115", 13), "（演示）横溪智造有限公司", "jiangning-bowang", "320115", 1_100_000),
    DemoEnterprise(_code("320115", 14), "（演示）宁博新能源有限公司", "jiangning-bowang", "320115", 500_000),
    DemoEnterprise(_code("320830", 21), "（演示）宁淮智能制造有限公司", "ninghuai", "320830", 2_500_000),
    DemoEnterprise(_code("320830", 22), "（演示）盱眙电子科技有限公司", "ninghuai", "320830", 1_300_000),
    DemoEnterprise(_code("320830", 23), "（演示）宁淮现代服务有限公司", "ninghuai", "320830", 800_000),
]
# One enterprise in each zone stays outside the agreement (its receipts are kept where collected).
OUTSIDE_AGREEMENT = {DEMO_ENTERPRISES[4].code, DEMO_ENTERPRISES[8].code}


def _in(zone: str) -> list[str]:
    return [e.code for e in DEMO_ENTERPRISES if e.zone == zone and e.code not in OUTSIDE_AGREEMENT]


def demo_agreements() -> list[dict[str, Any]]:
    """The demo's agreements with their versions (status, months, rules, notes)."""
    return [
        {
            "zone": "pukou-nanqiao",
            "agreement": "pn-park-district-share",
            "title": "浦口—南谯共建园区区级留成分享协议",
            "title_en": "Pukou–Nanqiao co-built park: sharing of the district-level retained tax",
            "parties": [
                {"jurisdiction": "341103", "role": "host"},
                {"jurisdiction": "320111", "role": "partner"},
            ],
            "note": "区级留成 7:3 分享（安徽日报转载）；股权南谯:浦口 = 8:2。区级留成占地方留成的比例为演示假设。",
            "note_en": (
                "District-level retained tax shared 7:3 (Anhui Daily, reposted); equity Nanqiao:Pukou = 8:2. "
                "The district's fraction of the local share is a demo assumption."
            ),
            "sources": [
                {
                    "fact": "浦口高新区导入项目的区级留成按 7:3 分成；南谯:浦口 股权 8:2",
                    "fact_en": "District-level retained tax of projects brought in by Pukou split 7:3; equity 8:2",
                    "url": "http://chuzhou.021cf.cn/index.php/post/9297.html",
                    "unconfirmed": False,
                }
            ],
            "synthetic": False,
            "versions": [
                {
                    "status": VersionStatus.APPROVED,
                    "effective_from": "2022-01",
                    "effective_to": "",
                    "resolution": "（演示）浦口—南谯跨界一体化发展示范区联席会议纪要〔2021〕3号",
                    "note": (
                        "假设：南谯得 7、浦口得 3。原文未说明哪一方得 7，按语序推定为南谯；同城办可起草新版本更改。"
                        "区级留成按地方留成的 40% 计（演示假设）。"
                    ),
                    "note_en": (
                        "Assumption: Nanqiao gets 7 and Pukou 3. The source does not say which side gets 7; by its "
                        "word order it is probably Nanqiao. The office may change it by drafting a new version. "
                        "The district level keeps 40% of the local share (demo assumption)."
                    ),
                    "rules": {
                        "tie_order": ["341103", "320111"],
                        "scope": {"enterprises": _in("pukou-nanqiao")},
                        "tax_types": ["VAT", "CIT"],
                        "base": {"kind": "local_share", "fraction_bp": 4000},
                        "ratio": {"kind": "fixed", "bp": [7000, 3000]},
                        "statistics": {
                            "bp": {"gdp": [7000, 3000], "industrial_output": [7000, 3000]},
                            "double_count": True,
                        },
                    },
                },
                {
                    "status": VersionStatus.DRAFT,
                    "effective_from": "2026-01",
                    "effective_to": "",
                    "resolution": "",
                    "note": "（草稿）若核实为浦口得 7、南谯得 3，则自 2026 年 1 月起按此版本执行。",
                    "note_en": (
                        "(Draft) Should it turn out that Pukou gets 7 and Nanqiao 3, this version applies from "
                        "January 2026."
                    ),
                    "rules": {
                        "tie_order": ["341103", "320111"],
                        "scope": {"enterprises": _in("pukou-nanqiao")},
                        "tax_types": ["VAT", "CIT"],
                        "base": {"kind": "local_share", "fraction_bp": 4000},
                        "ratio": {"kind": "fixed", "bp": [3000, 7000]},
                        "statistics": {
                            "bp": {"gdp": [3000, 7000], "industrial_output": [3000, 7000]},
                            "double_count": True,
                        },
                    },
                },
            ],
        },
        {
            "zone": "jiangning-bowang",
            "agreement": "jb-demo-share",
            "title": "（演示）江宁—博望共建项目税收分享协议",
            "title_en": "(Demo) Jiangning–Bowang joint projects: tax sharing",
            "parties": [
                {"jurisdiction": "340506", "role": "host"},
                {"jurisdiction": "320115", "role": "partner"},
            ],
            "note": "来源未见分成比例，本协议及比例均为演示数据。" + SYNTHETIC_NOTE,
            "note_en": "No source gives a ratio; the agreement and its ratios are demo data. "
            + SYNTHETIC_NOTE_EN,
            "sources": [],
            "synthetic": True,
            "versions": [
                {
                    "status": VersionStatus.APPROVED,
                    "effective_from": "2022-01",
                    "effective_to": "2024-12",
                    "resolution": "（演示）江宁—博望示范区建设工作领导推进小组会议纪要〔2021〕5号",
                    "note": "首期 6:4。",
                    "note_en": "First term 6:4.",
                    "rules": {
                        "scope": {"enterprises": _in("jiangning-bowang")},
                        "tax_types": ["VAT", "CIT"],
                        "base": {"kind": "local_share", "fraction_bp": 10000},
                        "ratio": {"kind": "fixed", "bp": [6000, 4000]},
                    },
                },
                {
                    "status": VersionStatus.APPROVED,
                    "effective_from": "2025-01",
                    "effective_to": "",
                    "resolution": "（演示）江宁—博望示范区建设工作领导推进小组会议纪要〔2024〕9号",
                    "note": "第二期起五五分成。",
                    "note_en": "From the second term, half and half.",
                    "rules": {
                        "scope": {"enterprises": _in("jiangning-bowang")},
                        "tax_types": ["VAT", "CIT"],
                        "base": {"kind": "local_share", "fraction_bp": 10000},
                        "ratio": {"kind": "fixed", "bp": [5000, 5000]},
                    },
                },
                {
                    "status": VersionStatus.DRAFT,
                    "effective_from": "2026-01",
                    "effective_to": "",
                    "resolution": "",
                    "note": "（演示）拟议：博望 55%、江宁 45%，并纳入个人所得税。",
                    "note_en": "(Demo) Proposed: Bowang 55%, Jiangning 45%, personal income tax included.",
                    "rules": {
                        "scope": {"enterprises": _in("jiangning-bowang")},
                        "tax_types": ["VAT", "CIT", "PIT"],
                        "base": {"kind": "local_share", "fraction_bp": 10000},
                        "ratio": {"kind": "fixed", "bp": [5500, 4500]},
                    },
                },
            ],
        },
        {
            "zone": "ninghuai",
            "agreement": "nh-demo-increment",
            "title": "（演示）宁淮特别合作区存量增量分享协议",
            "title_en": "(Demo) Nanjing–Huai'an special zone: stock stays, increment shared",
            "parties": [
                {"jurisdiction": "320830", "role": "host"},
                {"jurisdiction": "320111", "role": "origin"},
            ],
            "note": "按川渝\u201c存量归原辖区、增量五五分成\u201d模式的演示协议；宁淮未见分成比例。"
            + SYNTHETIC_NOTE,
            "note_en": (
                "A demo agreement on the Sichuan–Chongqing pattern (stock stays, increment 50:50); no ratio is "
                "known for Nanjing–Huai'an. " + SYNTHETIC_NOTE_EN
            ),
            "sources": [],
            "synthetic": True,
            "versions": [
                {
                    "status": VersionStatus.APPROVED,
                    "effective_from": "2022-01",
                    "effective_to": "",
                    "resolution": "（演示）宁淮党政联席会议纪要〔2021〕1号",
                    "note": "存量基数每月 20 万元（地方留成部分），归盱眙。",
                    "note_en": "Stock baseline 200,000 yuan a month (of the local share), kept by Xuyi.",
                    "rules": {
                        "scope": {"enterprises": _in("ninghuai")},
                        "tax_types": ["VAT", "CIT"],
                        "base": {"kind": "local_share", "fraction_bp": 10000},
                        "ratio": {
                            "kind": "increment",
                            "bp": [5000, 5000],
                            "stock_party": "320830",
                            "baseline_fen": 20_000_000,
                        },
                    },
                }
            ],
        },
    ]


def _touched(report: Any, obj: Any) -> bool:
    return bool(report.changed_by_a_user(obj))


def _set(obj: Any, values: dict[str, Any]) -> bool:
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    for k in changed:
        setattr(obj, k, values[k])
    return bool(changed)


def _load_agreements(report: Any) -> None:
    zones = {z.code: z for z in AdjacentZone.objects.filter(code__in=[a["zone"] for a in demo_agreements()])}
    for spec in demo_agreements():
        zone = zones.get(spec["zone"])
        if zone is None:
            continue
        values = {
            k: spec[k] for k in ("title", "title_en", "parties", "note", "note_en", "sources", "synthetic")
        }
        problems = [
            problem
            for vspec in spec["versions"]
            for problem in canonical.check_version(
                code=spec["agreement"],
                title=spec["title"],
                parties=spec["parties"],
                effective_from=vspec["effective_from"],
                effective_to=vspec["effective_to"],
                rules=vspec["rules"],
                zone=zone,
            )
        ]
        if problems:
            # A user changed the zone (e.g. removed a member) so that the demo's agreement no longer fits it.
            report.kept.append(f"{spec['title']}: {problems[0].message}")
            continue
        agreement = Agreement.objects.filter(code=spec["agreement"]).first()
        if agreement is None:
            agreement = Agreement.objects.create(zone=zone, code=spec["agreement"], **values)
            report.count("created")
        elif _touched(report, agreement) or any(_touched(report, v) for v in agreement.versions.all()):
            report.keep(agreement)
            continue
        elif _set(agreement, values):
            agreement.version += 1
            agreement.save()
            report.count("updated")
        else:
            report.count("unchanged")
        for number, vspec in enumerate(spec["versions"], start=1):
            version = AgreementVersion.objects.filter(agreement=agreement, number=number).first()
            vvalues = {
                k: vspec[k]
                for k in (
                    "status",
                    "effective_from",
                    "effective_to",
                    "resolution",
                    "note",
                    "note_en",
                    "rules",
                )
            }
            if version is None:
                AgreementVersion.objects.create(agreement=agreement, number=number, **vvalues)
                report.count("created")
            elif _set(version, vvalues):
                version.version += 1
                version.save()
                report.count("updated")
            else:
                report.count("unchanged")


def _amount(*parts: object) -> float:
    """A deterministic pseudo-random number in [0, 1) from the parts."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def demo_receipt_rows() -> Iterable[dict[str, Any]]:
    """Every demo receipt: VAT and CIT monthly, PIT in some months; about 2% refunds."""
    for ent in DEMO_ENTERPRISES:
        for year, mon in DEMO_MONTHS:
            period = year * 100 + mon
            growth = 1 + 0.01 * ((year - 2024) * 12 + mon)
            for tax, factor in (("VAT", 1.0), ("CIT", 0.45), ("PIT", 0.08)):
                r = _amount(ent.code, period, tax)
                if tax == "PIT" and r < 0.5:
                    continue
                yuan = ent.scale * factor * growth * (0.6 + 0.8 * r)
                fen = int(round(yuan * 100))
                if _amount("refund", ent.code, period, tax) < 0.02:
                    fen = -fen // 10
                yield {
                    "receipt_id": f"DEMO-{period}-{ent.code[-6:]}-{tax}",
                    "zone": ent.zone,
                    "enterprise": ent.code,
                    "jurisdiction": ent.jurisdiction,
                    "period": period,
                    "tax_type": tax,
                    "amount_fen": fen,
                }


def demo_indicator_rows() -> Iterable[dict[str, Any]]:
    for ent in DEMO_ENTERPRISES:
        if ent.zone != "pukou-nanqiao":
            continue
        for year, mon in DEMO_MONTHS:
            period = year * 100 + mon
            output = int(ent.scale * 9 * (0.8 + 0.4 * _amount("io", ent.code, period)))
            yield {
                "zone": ent.zone,
                "enterprise": ent.code,
                "period": period,
                "indicator": "industrial_output",
                "value": output,
            }
            yield {
                "zone": ent.zone,
                "enterprise": ent.code,
                "period": period,
                "indicator": "gdp",
                "value": output // 4,
            }


def _load_factor_records(report: Any, zones: dict[str, Any]) -> None:
    """横溪智造 (江宁) is a head office with a production branch in 博望: its CIT is apportioned (57号). The
    factors are the records' (an enterprise, its two establishments, their ``ApportionmentFactor`` of the
    years 2024 and 2025, applied in 2025 and 2026), loaded as the records' demo loads its own."""
    from tongcheng.core.models import Jurisdiction

    from ..demo import _Loader, _note, _note_en

    zone = zones.get("jiangning-bowang")
    if zone is None:
        return
    places = {j.code: j for j in Jurisdiction.objects.current().filter(code__in=("320115", "340506"))}
    if len(places) < 2:
        return
    loader = _Loader(report)
    head = DEMO_ENTERPRISES[7]
    note = _note(synthetic="企业、机构及57号分配因素均为生成值。")
    note_en = _note_en(synthetic="the enterprise, its establishments and its 57号 factors are generated.")
    enterprise = loader.rows(
        Enterprise,
        ("credit_code",),
        [
            {
                "credit_code": head.code,
                "name": head.name,
                "name_en": "(demo) Hengxi Smart Manufacturing",
                "industry": "C34",
                "jurisdiction": places["320115"],
                "zone": zone,
                "note": note,
                "note_en": note_en,
                "synthetic": True,
            }
        ],
    )[(head.code,)]
    units = loader.rows(
        Establishment,
        ("enterprise", "kind", "jurisdiction"),
        [
            {
                "enterprise": enterprise,
                "kind": kind,
                "jurisdiction": places[code],
                "name": name,
                "note": note,
                "note_en": note_en,
                "synthetic": True,
            }
            for kind, code, name in (
                (EstablishmentKind.HEAD_OFFICE, "320115", "横溪智造总部（江宁）"),
                (EstablishmentKind.PRODUCTION_BASE, "340506", "横溪智造生产基地（博望）"),
            )
        ],
    )
    base = units[(enterprise.pk, EstablishmentKind.PRODUCTION_BASE, places["340506"].pk)]
    loader.rows(
        ApportionmentFactor,
        ("establishment", "year"),
        [
            {
                "establishment": base,
                "year": year,
                "revenue_fen": 6_000_000_000 + (year - 2024) * 500_000_000,
                "payroll_fen": 800_000_000,
                "assets_fen": 5_000_000_000,
                "note": note,
                "note_en": note_en,
                "synthetic": True,
            }
            for year in (2024, 2025)
        ],
    )


def _upsert_rows(
    model: Any, key: tuple[str, ...], rows: Iterable[dict[str, Any]], zones: dict[str, Any], report: Any
) -> None:
    """Create missing rows, bring demo rows up to date; leave rows an import touched (``synthetic`` false)."""
    rows = [dict(r, zone=zones[r["zone"]]) for r in rows if r["zone"] in zones]
    if not rows:
        return
    existing = {
        tuple(getattr(obj, k if k != "zone" else "zone_id") for k in key): obj
        for obj in model.objects.filter(zone__in=list(zones.values()))
    }
    new, changed, kept = [], [], 0
    now = timezone.now()
    for row in rows:
        ident = tuple(row[k].pk if k == "zone" else row[k] for k in key)
        obj = existing.get(ident)
        if obj is None:
            new.append(model(**row, synthetic=True))
        elif not obj.synthetic:
            if any(getattr(obj, k) != v for k, v in row.items() if k != "zone"):
                kept += 1
        elif _set(obj, {k: v for k, v in row.items() if k != "zone"}):
            obj.updated_at = now
            changed.append(obj)
    fields = [f for f in rows[0] if f not in key and f != "zone"]
    model.objects.bulk_create(new, batch_size=1000)
    if changed:
        model.objects.bulk_update(changed, [*fields, "updated_at"], batch_size=500)
    report.created += len(new)
    report.updated += len(changed)
    report.unchanged += len(rows) - len(new) - len(changed) - kept
    if kept:
        report.kept.append(f"{model._meta.verbose_name_plural}: {kept} changed by imports")


@transaction.atomic
def load_sharing_demo(report: Any) -> None:
    """Called by core.demo.load_demo with its report (see the module)."""
    _load_agreements(report)
    codes = {e.zone for e in DEMO_ENTERPRISES}
    zones = {z.code: z for z in AdjacentZone.objects.filter(code__in=codes)}
    _upsert_rows(Receipt, ("zone", "receipt_id"), demo_receipt_rows(), zones, report)
    for zone in zones.values():
        refresh_receipt_sums(zone, [y * 100 + m for y, m in DEMO_MONTHS])
    _upsert_rows(
        IndicatorValue, ("zone", "enterprise", "period", "indicator"), demo_indicator_rows(), zones, report
    )
    _load_factor_records(report, zones)
