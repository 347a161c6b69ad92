"""The cooperation records and funds of the demo (issue 10, "Demo data"), loaded by ``manage.py load_demo``
after the registry (core/demo.py calls the loaders apps register).

What is real comes from ../shared/domain/zones.md and the seed article (S-Z3, S-Z4); what the sources do not
give is generated deterministically and labelled in the note (合成演示数据) and by ``synthetic``:

- 宁淮: the five co-built parks of the city-level 宁淮 cooperation (the 宁淮特别合作区 is one of them, in its
  own zone) total 34.13 km², hold 540 projects with 550亿元 of joint investment, and report 512.02亿元 of
  business revenue and 10.58亿元 of general public budget revenue over their years — the totals of S-Z3,
  exactly; the split among parks, projects and years is generated.
- 浦口—南谯: the co-built park in 南谯 run by 滁州南浦合作开发有限公司 (capital 8:2, returns 7:3), the three
  jointly attracted projects of S-Z4 (华诺半导体 12亿元, 亚芯微半导体产业园 5亿元, and the 15亿元 transport
  industrialisation headquarters in 浦口 with its production base in 南谯), and the zone's fund.
- 江宁—博望: the start area's two clusters (3 and 5 km²), the 20亿元 腾亚精工 base, the eight industrial
  projects of the 2022-12-16 groundbreaking (46亿元 together), and the zone's fund.
- The rule of 江苏 and 安徽 for head offices with branches only inside the province: not found, so the
  default (not apportioned across cities), said so in the note.

Like the registry's loader it never destroys work: a record some user has changed through a service (any
audit entry on it) is left as it is and named in the report; others are brought up to the demo's values
with a new version. New rows are inserted in bulk with their history rows (no audit entries: a demo row is
nobody's edit)."""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import models
from django.utils import timezone

from tongcheng.core.models import AdjacentZone, Jurisdiction, Organisation
from tongcheng.core.validators import uscc_check_char
from tongcheng.kit.models import VersionedModel

from .engine.rounding import split_exact
from .models import (
    ApportionmentFactor,
    ContributionKind,
    CooperationMode,
    DisbursementPurpose,
    Enterprise,
    Establishment,
    EstablishmentKind,
    FundCommitment,
    FundContribution,
    FundDisbursement,
    Park,
    ParkYear,
    Project,
    ProjectStatus,
    ProvinceRule,
)
from .models.records import Searchable
from .services.records import DEFAULT_RULE, DEFAULT_RULE_EN

__all__ = ["NINGHUAI", "load_cooperation_demo", "synthetic_credit_code"]

YI = 10_000_000_000  # fen in 1亿元
WAN = 1_000_000  # fen in 1万元
KM2 = 1_000_000  # m² in 1 km²

SYNTHETIC = "合成演示数据"
PN_PARK = "pn-cobuilt-park"
TENGYA_PROJECT = "jb-tengya"
SYNTHETIC_EN = "Synthetic demo data"

# S-Z3, the seed's figures for the 宁淮 cooperation: the overview must show exactly these.
NINGHUAI = {
    "parks": 5,
    "area_m2": 3413 * KM2 // 100,
    "projects": 540,
    "investment_fen": 550 * YI,
    "business_revenue_fen": 51202 * YI // 100,
    "budget_revenue_fen": 1058 * YI // 100,
}


def synthetic_credit_code(seed: str, area: str) -> str:
    """A checksum-valid 统一社会信用代码 (enterprise, registered by 工商 at ``area``) made from a seed: clearly
    invented (the demo says so), never a real enterprise's."""
    digits = int(hashlib.sha256(seed.encode()).hexdigest(), 16) % 10**9
    body = f"91{area}{digits:09d}"
    return body + uscc_check_char(body)


def _j(code: str) -> Jurisdiction:
    return Jurisdiction.objects.current().get(code=code)


def _note(real: str = "", synthetic: str = "") -> str:
    parts = [p for p in (real, f"{SYNTHETIC}：{synthetic}" if synthetic else "") if p]
    return "\n".join(parts)


def _note_en(real: str = "", synthetic: str = "") -> str:
    parts = [p for p in (real, f"{SYNTHETIC_EN}: {synthetic}" if synthetic else "") if p]
    return "\n".join(parts)


# --- loading, in bulk, without overwriting a user's edit ----------------------------------------------


def _value(obj: models.Model, name: str) -> Any:
    field = obj._meta.get_field(name)
    return getattr(obj, field.attname) if field.is_relation else getattr(obj, name)


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    # A choice member hashes by its name, not its value: compare (and key) by the stored value.
    return value.value if isinstance(value, enum.Enum) else value


class _Loader:
    def __init__(self, report: Any) -> None:
        self.report = report
        self.now = timezone.now()

    def rows(
        self,
        model: type[models.Model],
        key: Sequence[str],
        rows: Iterable[dict[str, Any]],
        m2m: Callable[[dict[str, Any]], dict[str, list[models.Model]]] | None = None,
    ) -> dict[tuple, models.Model]:
        """Insert the missing rows in bulk (with their history rows and many-to-many rows); bring existing
        rows no user touched up to the demo's values (a new version); leave touched ones alone."""
        rows = list(rows)
        lookup = {f"{key[0]}__in": sorted({_plain(r[key[0]]) for r in rows})}
        related_names = list(m2m(rows[0])) if m2m and rows else []
        stored = model._default_manager.filter(**lookup).prefetch_related(*related_names)
        existing = {tuple(_value(o, k) for k in key): o for o in stored}
        found: dict[tuple, models.Model] = {}
        new: list[tuple[models.Model, dict[str, Any]]] = []
        for row in rows:
            values = {k: v for k, v in row.items() if not k.startswith("_")}
            ident = tuple(_plain(values[k]) for k in key)
            obj = existing.get(ident)
            if obj is None:
                obj = model(**values)
                if isinstance(obj, Searchable):
                    obj.fill_keys()
                new.append((obj, row))
                found[ident] = obj
                continue
            found[ident] = obj
            changed = [name for name, value in values.items() if _value(obj, name) != _plain(value)]
            related = m2m(row) if m2m else {}
            stale = {
                name: wanted
                for name, wanted in related.items()
                if {o.pk for o in getattr(obj, name).all()} != {o.pk for o in wanted}
            }
            if not changed and not stale:
                self.report.count("unchanged")
            elif self.report.changed_by_a_user(obj):
                self.report.keep(obj)
            else:
                for name in changed:
                    setattr(obj, name, values[name])
                if isinstance(obj, VersionedModel):
                    obj.version += 1
                obj.save()
                for name, wanted in stale.items():
                    getattr(obj, name).set(wanted)
                self.report.count("updated")
        if new:
            created = model._default_manager.bulk_create([obj for obj, _row in new], batch_size=500)
            history = getattr(model, "history", None)
            if history is not None:
                history.bulk_history_create(created, default_date=self.now, batch_size=500)
            if m2m is not None:
                by_field: dict[str, list[models.Model]] = {}
                for obj, row in new:
                    for name, wanted in m2m(row).items():
                        through = getattr(model, name).through
                        source = f"{model._meta.model_name}_id"
                        target = f"{getattr(model, name).field.related_model._meta.model_name}_id"
                        by_field.setdefault(name, []).extend(
                            through(**{source: obj.pk, target: w.pk}) for w in wanted
                        )
                for name, links in by_field.items():
                    getattr(model, name).through.objects.bulk_create(links, batch_size=500)
            self.report.created += len(created)
        return found


# --- the data ------------------------------------------------------------------------------------------


INDUSTRY_WORDS = [
    ("智能制造", "smart manufacturing", "C34"),
    ("新能源", "new energy", "C38"),
    ("新材料", "new materials", "C26"),
    ("电子信息", "electronics", "C39"),
    ("生物医药", "biomedicine", "C27"),
    ("现代物流", "logistics", "G59"),
    ("农产品加工", "agricultural processing", "C13"),
    ("高端装备", "high-end equipment", "C35"),
    ("软件服务", "software services", "I65"),
    ("商务服务", "business services", "L72"),
]


def _weight(seed: str, low: int = 1, high: int = 100) -> int:
    return low + int(hashlib.sha256(seed.encode()).hexdigest()[:8], 16) % (high - low + 1)


NINGHUAI_PARKS: list[dict[str, Any]] = [
    {
        "key": "nh-huaiyin",
        "name": "江宁开发区淮阴工业园",
        "name_en": "Jiangning Development Zone Huaiyin Industrial Park",
        "zone": "ninghuai-cooperation",
        "host": "320804",
        "partners": ["320115"],
        "area_m2": 650 * KM2 // 100,
        "established": None,
        "projects": 150,
        "first_year": 2002,
        "note": _note(
            "宁淮挂钩合作园区，2008年已存在（宁淮挂钩合作报告，http://app.baoxianhai.com/zhangfeng/view2/910192130559）。",
            "面积为生成值，使五个园区合计34.13平方公里。",
        ),
        "note_en": _note_en(
            "A Nanjing–Huai'an paired park, existing by 2008 (2008 pairing report).",
            "the area is generated so that the five parks total 34.13 km².",
        ),
    },
    {
        "key": "nh-lianshui",
        "name": "南京经济开发区涟水工业园",
        "name_en": "Nanjing Economic Development Zone Lianshui Industrial Park",
        "zone": "ninghuai-cooperation",
        "host": "320826",
        "partners": ["320113"],
        "area_m2": 512 * KM2 // 100,
        "established": None,
        "projects": 120,
        "first_year": 2002,
        "note": _note(
            "2008年已存在，2022年仍在运行（http://te-ch.tech/news/show-181211.html）。",
            "面积为生成值。",
        ),
        "note_en": _note_en("Existing by 2008, still active in 2022.", "the area is generated."),
    },
    {
        "key": "nh-xuyi-yuhua",
        "name": "南京雨花经济开发区盱眙工业园",
        "name_en": "Nanjing Yuhua Economic Development Zone Xuyi Industrial Park",
        "zone": "ninghuai-cooperation",
        "host": "320830",
        "partners": ["320114"],
        "area_m2": 430 * KM2 // 100,
        "established": None,
        "projects": 90,
        "first_year": 2008,
        "note": _note("2008年待省级批准；此后情况未查到。", "面积为生成值。"),
        "note_en": _note_en(
            "Awaiting provincial approval in 2008; later status not found.", "the area is generated."
        ),
    },
    {
        "key": "nh-special-zone",
        "name": "宁淮特别合作区",
        "name_en": "Nanjing–Huai'an Special Cooperation Zone",
        "zone": "ninghuai",
        "host": "320830",
        "partners": ["320111"],
        "managing": "ninghuai-park-committee",
        "area_m2": 821 * KM2 // 100,
        "established": dt.date(2019, 7, 27),
        "projects": 60,
        "first_year": 2019,
        "note": _note(
            "2019年7月27日在盱眙揭牌；核心区8.21平方公里，起步区约2平方公里；江北新区主导经济管理和建设，盱眙负责征地拆迁和社会事务"
            "（中国经济网2019-07-29）。管理机构按宁淮智能制造产业园党工委、管委会推定（未证实）。"
        ),
        "note_en": _note_en(
            "Plaque unveiled in Xuyi on 2019-07-27; core area 8.21 km², start area about 2 km²; Jiangbei New Area "
            "leads economic management, Xuyi land and social affairs (ce.cn 2019-07-29). The managing body is "
            "taken to be the smart-manufacturing park's committee (not confirmed)."
        ),
    },
    {
        "key": "nh-services",
        "name": "宁淮现代服务业集聚区",
        "name_en": "Nanjing–Huai'an Modern Services Cluster",
        "zone": "ninghuai-cooperation",
        "host": "320812",
        "partners": ["320100"],
        "area_m2": 10 * KM2,
        "established": None,
        "projects": 120,
        "first_year": 2010,
        "note": _note(
            "规划面积10平方公里、起步区5平方公里，五个园区中唯一以服务业为主导者；含南外淮安分校、禄口机场苏北候机楼（现代快报2021-01-26）。",
            "所在区（清江浦区）为推定。",
        ),
        "note_en": _note_en(
            "10 km², start area 5 km²; the only services-led park of the five (Modern Express 2021-01-26).",
            "the host district (Qingjiangpu) is assumed.",
        ),
    },
]

NINGHUAI_FIGURE_YEARS = range(2019, 2026)


def _ninghuai(loader: _Loader) -> None:
    zones = {z.code: z for z in AdjacentZone.objects.filter(code__in=["ninghuai", "ninghuai-cooperation"])}
    parks = loader.rows(
        Park,
        ("code",),
        [
            {
                "code": p["key"],
                "name": p["name"],
                "name_en": p["name_en"],
                "zone": zones[p["zone"]],
                "host": _j(p["host"]),
                "managing_organisation": Organisation.objects.filter(key=p.get("managing", "")).first(),
                "area_m2": p["area_m2"],
                "established": p["established"],
                "note": p["note"],
                "note_en": p["note_en"],
                "synthetic": "合成" in p["note"],
                "_partners": p["partners"],
            }
            for p in NINGHUAI_PARKS
        ],
        m2m=lambda row: {"partners": [_j(c) for c in row["_partners"]]},
    )
    # 540 projects, 550亿元 together, in whole 万元.
    slots: list[tuple[dict[str, Any], int]] = [(p, i) for p in NINGHUAI_PARKS for i in range(p["projects"])]
    amounts = split_exact(
        NINGHUAI["investment_fen"] // WAN, [_weight(f"nh-invest-{n}") for n in range(len(slots))]
    )
    note = _note(
        "宁淮合作累计落户项目540个、共同投资550亿元（种子文章S-Z3）。",
        "单个项目未公开，名称、金额、年份和状态为生成值，合计与来源一致。",
    )
    note_en = _note_en(
        "The Nanjing–Huai'an cooperation has settled 540 projects with 55 billion yuan of joint investment (S-Z3).",
        "the projects are not published one by one: names, amounts, years and status are generated; the totals "
        "are the source's.",
    )
    rows = []
    for n, ((park_data, _index), amount) in enumerate(zip(slots, amounts, strict=True), start=1):
        word, word_en, _industry = INDUSTRY_WORDS[n % len(INDUSTRY_WORDS)]
        if park_data["key"] == "nh-services":
            mode = CooperationMode.HEADQUARTERS if n % 3 else CooperationMode.CROSS_REGION
        else:
            mode = CooperationMode.CROSS_REGION if n % 10 == 0 else CooperationMode.INDUSTRIAL_PARK
        first = park_data["first_year"]
        year = first + (n * 7) % (2026 - first + 1)
        status = (
            ProjectStatus.SIGNED
            if year >= 2025 or n % 10 == 3
            else ProjectStatus.UNDER_CONSTRUCTION
            if year >= 2023 or n % 10 == 7
            else ProjectStatus.IN_PRODUCTION
        )
        park = parks[(park_data["key"],)]
        rows.append(
            {
                "code": f"nh-{n:04d}",
                "name": f"宁淮合作项目{n:03d}（{word}）",
                "name_en": f"Ning–Huai cooperation project {n:03d} ({word_en})",
                "zone": zones[park_data["zone"]],
                "park": park,
                "mode": mode,
                "investment_fen": amount * WAN,
                "status": status,
                "signed_on": dt.date(year, 1 + (n * 5) % 12, 1 + (n * 11) % 28),
                "note": note,
                "note_en": note_en,
                "synthetic": True,
                "_attracted": [park_data["host"], *park_data["partners"]],
            }
        )
    codes = {c for r in rows for c in r["_attracted"]}
    places = {c: _j(c) for c in codes}
    loader.rows(
        Project, ("code",), rows, m2m=lambda row: {"attracted_by": [places[c] for c in row["_attracted"]]}
    )
    # Results of 2019–2025 per park: 512.02亿元 and 10.58亿元 together, in whole 万元, growing by year.
    cells = [(p, year) for p in NINGHUAI_PARKS for year in NINGHUAI_FIGURE_YEARS if year >= p["first_year"]]
    weights = [_weight(f"nh-year-{p['key']}-{y}", 60, 100) * (y - 2017) for p, y in cells]
    business = split_exact(NINGHUAI["business_revenue_fen"] // WAN, weights)
    budget = split_exact(NINGHUAI["budget_revenue_fen"] // WAN, weights)
    year_note = _note(
        "宁淮合作累计实现业务总收入512.02亿元、公共财政预算收入10.58亿元（S-Z3）。",
        "分园区、分年度数值为生成值，合计与来源一致。",
    )
    year_note_en = _note_en(
        "Cumulative business revenue 51.202 billion yuan and general public budget revenue 1.058 billion (S-Z3).",
        "the split by park and year is generated; the totals are the source's.",
    )
    loader.rows(
        ParkYear,
        ("park", "year"),
        [
            {
                "park": parks[(p["key"],)],
                "year": year,
                "business_revenue_fen": b * WAN,
                "budget_revenue_fen": g * WAN,
                "note": year_note,
                "note_en": year_note_en,
                "synthetic": True,
            }
            for (p, year), b, g in zip(cells, business, budget, strict=True)
        ],
    )


def _pukou_nanqiao(loader: _Loader) -> None:
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    pukou, nanqiao = _j("320111"), _j("341103")
    parks = loader.rows(
        Park,
        ("code",),
        [
            {
                "code": PN_PARK,
                "name": "南谯浦口一体化发展共建合作园区",
                "name_en": "Nanqiao–Pukou Integrated Development Co-built Park",
                "zone": zone,
                "host": nanqiao,
                "managing_organisation": Organisation.objects.get(key="nanpu-co"),
                "area_m2": 666_667,
                "established": None,
                "note": _note(
                    "南谯境内首期1000亩“飞地”园区；“浦口推荐、联合招商、共同研判、产业协同”。由滁州南浦合作开发有限公司运营，"
                    "出资8:2、收益7:3；原文未说明何方占8和7，按语序推定南谯8、南谯7，办公室可改（中安在线2022-08-23；"
                    "安徽日报）。面积按1000亩（666,667平方米）记。"
                ),
                "note_en": _note_en(
                    "A first-phase 1,000-mu enclave inside Nanqiao; Pukou recommends investors, joint promotion and "
                    "assessment. Run by Chuzhou Nanpu Cooperative Development Co., capital 8:2, returns 7:3; the "
                    "sources do not say who holds 8 and 7: by the word order Nanqiao 8 and Nanqiao 7, an assumption "
                    "the office may change. Area recorded as 1,000 mu (666,667 m²)."
                ),
                "synthetic": False,
                "_partners": ["320111"],
            }
        ],
        m2m=lambda row: {"partners": [_j(c) for c in row["_partners"]]},
    )
    park = parks[(PN_PARK,)]
    synthetic_code = "统一社会信用代码为演示生成值"
    synthetic_code_en = "the credit code is generated for the demo"
    enterprises = loader.rows(
        Enterprise,
        ("credit_code",),
        [
            {
                "credit_code": synthetic_credit_code("huanuo", "341103"),
                "name": "华诺半导体",
                "name_en": "Huanuo Semiconductor",
                "industry": "C39",
                "jurisdiction": nanqiao,
                "zone": zone,
                "note": _note("浦口、南谯共同招引、共同扶持的12亿元项目（S-Z4）。", synthetic_code + "。"),
                "note_en": _note_en(
                    "A 1.2-billion-yuan project attracted and supported jointly (S-Z4).",
                    synthetic_code_en + ".",
                ),
                "synthetic": True,
            },
            {
                "credit_code": synthetic_credit_code("yaxinwei", "341103"),
                "name": "亚芯微半导体",
                "name_en": "Yaxinwei Semiconductor",
                "industry": "C39",
                "jurisdiction": nanqiao,
                "zone": zone,
                "note": _note("5亿元亚芯微半导体产业园项目（S-Z4）。", synthetic_code + "。"),
                "note_en": _note_en(
                    "The 0.5-billion-yuan semiconductor park project (S-Z4).", synthetic_code_en + "."
                ),
                "synthetic": True,
            },
            {
                "credit_code": synthetic_credit_code("pn-transport", "320111"),
                "name": "浦南交通工业化制造有限公司",
                "name_en": "Punan Transport Industrialisation Manufacturing Co.",
                "industry": "C37",
                "jurisdiction": pukou,
                "zone": zone,
                "note": _note(
                    "15亿元交通工业化制造总部基地及生产基地项目，办公、生产跨省运营（S-Z4）。",
                    "企业名称与"
                    + synthetic_code
                    + "；总部在浦口（江苏）、生产基地在南谯（安徽）为按来源的推定安排。",
                ),
                "note_en": _note_en(
                    "The 1.5-billion-yuan transport industrialisation headquarters and production base, office and "
                    "production in two provinces (S-Z4).",
                    "the name and credit code are generated; head office in Pukou (Jiangsu), production in Nanqiao (Anhui).",
                ),
                "synthetic": True,
            },
        ],
    )
    huanuo = enterprises[(synthetic_credit_code("huanuo", "341103"),)]
    yaxinwei = enterprises[(synthetic_credit_code("yaxinwei", "341103"),)]
    transport = enterprises[(synthetic_credit_code("pn-transport", "320111"),)]
    places = loader.rows(
        Establishment,
        ("enterprise", "kind", "jurisdiction"),
        [
            {
                "enterprise": huanuo,
                "kind": EstablishmentKind.HEAD_OFFICE,
                "jurisdiction": nanqiao,
                "park": park,
                "name": "华诺半导体（南谯）",
                "opened": dt.date(2022, 5, 1),
                "note": _note(synthetic="开业日期为生成值。"),
                "note_en": _note_en(synthetic="the opening date is generated."),
                "synthetic": True,
            },
            {
                "enterprise": yaxinwei,
                "kind": EstablishmentKind.HEAD_OFFICE,
                "jurisdiction": nanqiao,
                "park": park,
                "name": "亚芯微半导体产业园",
                "opened": dt.date(2023, 3, 1),
                "note": _note(synthetic="开业日期为生成值。"),
                "note_en": _note_en(synthetic="the opening date is generated."),
                "synthetic": True,
            },
            {
                "enterprise": transport,
                "kind": EstablishmentKind.HEAD_OFFICE,
                "jurisdiction": pukou,
                "park": None,
                "name": "交通工业化制造总部基地（浦口）",
                "name_en": "Headquarters (Pukou)",
                "opened": dt.date(2023, 1, 1),
                "note": _note(synthetic="开业日期为生成值。"),
                "note_en": _note_en(synthetic="the opening date is generated."),
                "synthetic": True,
            },
            {
                "enterprise": transport,
                "kind": EstablishmentKind.PRODUCTION_BASE,
                "jurisdiction": nanqiao,
                "park": park,
                "name": "交通工业化制造生产基地（南谯）",
                "name_en": "Production base (Nanqiao)",
                "opened": dt.date(2023, 6, 1),
                "note": _note(synthetic="开业日期为生成值。"),
                "note_en": _note_en(synthetic="the opening date is generated."),
                "synthetic": True,
            },
        ],
    )
    head = places[(transport.pk, EstablishmentKind.HEAD_OFFICE, pukou.pk)]
    base = places[(transport.pk, EstablishmentKind.PRODUCTION_BASE, nanqiao.pk)]
    factor_note = _note(synthetic="57号分配因素为生成值。")
    factor_note_en = _note_en(synthetic="the 57号 factors are generated.")
    loader.rows(
        ApportionmentFactor,
        ("establishment", "year"),
        [
            {
                "establishment": e,
                "year": year,
                "revenue_fen": revenue * WAN,
                "payroll_fen": payroll * WAN,
                "assets_fen": assets * WAN,
                "note": factor_note,
                "note_en": factor_note_en,
                "synthetic": True,
            }
            for e, year, revenue, payroll, assets in (
                (head, 2024, 18_000, 2_400, 45_000),
                (base, 2024, 36_000, 3_100, 82_000),
                (head, 2025, 21_500, 2_650, 47_500),
                (base, 2025, 52_000, 3_900, 96_000),
            )
        ],
    )
    support = "浦口推荐、联合招商、共同研判、产业协同；两地共同扶持（S-Z4；中安在线2022-08-23）。"
    support_en = (
        "Pukou recommends, joint promotion and assessment, industrial coordination; supported by both (S-Z4)."
    )
    rows = [
        (
            "pn-huanuo",
            "华诺半导体项目",
            "Huanuo Semiconductor project",
            huanuo,
            CooperationMode.INDUSTRIAL_PARK,
            12,
            ProjectStatus.IN_PRODUCTION,
            dt.date(2021, 9, 18),
        ),
        (
            "pn-yaxinwei",
            "亚芯微半导体产业园项目",
            "Yaxinwei semiconductor industrial park",
            yaxinwei,
            CooperationMode.INDUSTRIAL_PARK,
            5,
            ProjectStatus.UNDER_CONSTRUCTION,
            dt.date(2022, 3, 10),
        ),
        (
            "pn-transport-hq",
            "交通工业化制造总部基地及生产基地项目",
            "Transport industrialisation headquarters and production base",
            transport,
            CooperationMode.HEADQUARTERS,
            15,
            ProjectStatus.UNDER_CONSTRUCTION,
            dt.date(2022, 11, 8),
        ),
    ]
    loader.rows(
        Project,
        ("code",),
        [
            {
                "code": code,
                "name": name,
                "name_en": name_en,
                "zone": zone,
                "park": park,
                "enterprise": enterprise,
                "mode": mode,
                "investment_fen": yi * YI,
                "status": status,
                "signed_on": signed,
                "support_measures": support,
                "support_measures_en": support_en,
                "note": _note("金额与共同招引见种子文章S-Z4。", "签约日期与状态为生成值。"),
                "note_en": _note_en(
                    "Amount and joint attraction: the seed article, S-Z4.",
                    "the signing date and status are generated.",
                ),
                "synthetic": True,
            }
            for code, name, name_en, enterprise, mode, yi, status, signed in rows
        ],
        m2m=lambda row: {"attracted_by": [pukou, nanqiao]},
    )
    _fund(
        loader,
        zone,
        commitments={"320111": (range(2023, 2027), 2_000), "341103": (range(2023, 2027), 3_000)},
        contributions=[
            (
                "341103",
                ContributionKind.LAND,
                4_500,
                dt.date(2023, 6, 30),
                "浦南基金〔2023〕土地1号",
                "共建园区首期用地作价入股",
            ),
            ("320111", ContributionKind.CASH, 2_000, dt.date(2023, 12, 20), "浦南基金〔2023〕缴款1号", ""),
            ("341103", ContributionKind.CASH, 1_500, dt.date(2024, 6, 28), "浦南基金〔2024〕缴款1号", ""),
            ("320111", ContributionKind.CASH, 2_000, dt.date(2024, 12, 25), "浦南基金〔2024〕缴款2号", ""),
            (
                "320111",
                ContributionKind.IN_KIND,
                300,
                dt.date(2025, 3, 31),
                "浦南基金〔2025〕实物1号",
                "园区规划设计服务作价",
            ),
            ("341103", ContributionKind.CASH, 3_000, dt.date(2025, 12, 20), "浦南基金〔2025〕缴款1号", ""),
            ("320111", ContributionKind.CASH, 1_500, dt.date(2025, 12, 28), "浦南基金〔2025〕缴款2号", ""),
        ],
        disbursements=[
            (
                DisbursementPurpose.INFRASTRUCTURE,
                "共建园区道路及管网一期",
                "Park roads and pipes, phase 1",
                3_000,
                dt.date(2024, 9, 30),
                "浦口—南谯党政联席会议纪要〔2024〕2号",
            ),
            (
                DisbursementPurpose.PUBLIC_SERVICE,
                "园区职工服务中心",
                "Park staff service centre",
                800,
                dt.date(2025, 10, 15),
                "浦口—南谯党政联席会议纪要〔2025〕3号",
            ),
        ],
    )


def _jiangning_bowang(loader: _Loader) -> None:
    zone = AdjacentZone.objects.get(code="jiangning-bowang")
    jiangning, bowang = _j("320115"), _j("340506")
    start_area = (
        "先行启动区8平方公里：3平方公里智能制造业集中区加5平方公里现代服务业集聚区，以丹阳北部跨界地带为轴"
        "（https://p2.ttnews.xyz/a/5e92e5c9dc9b5e0ed554ebf4）。"
    )
    start_area_en = (
        "The 8 km² first-phase start area: a 3 km² smart-manufacturing cluster and a 5 km² modern-services "
        "cluster along north Danyang on the border."
    )
    parks = loader.rows(
        Park,
        ("code",),
        [
            {
                "code": code,
                "name": name,
                "name_en": name_en,
                "zone": zone,
                "host": bowang,
                "managing_organisation": Organisation.objects.get(key="ningbo-investco"),
                "area_m2": km2 * KM2,
                "established": dt.date(2019, 10, 15),
                "note": _note(start_area, "所在区（博望区）与管理机构为推定。"),
                "note_en": _note_en(
                    start_area_en, "the host district (Bowang) and managing company are assumed."
                ),
                "synthetic": True,
            }
            for code, name, name_en, km2 in (
                (
                    "jb-manufacturing",
                    "宁博先行启动区智能制造业集中区",
                    "Ning–Bo start area smart-manufacturing cluster",
                    3,
                ),
                (
                    "jb-services",
                    "宁博先行启动区现代服务业集聚区",
                    "Ning–Bo start area modern-services cluster",
                    5,
                ),
            )
        ],
        m2m=lambda row: {"partners": [jiangning]},
    )
    manufacturing = parks[("jb-manufacturing",)]
    tengya = loader.rows(
        Enterprise,
        ("credit_code",),
        [
            {
                "credit_code": synthetic_credit_code("tengya", "320115"),
                "name": "南京腾亚精工科技股份有限公司",
                "name_en": "Nanjing Tengya Precision Tools",
                "industry": "C33",
                "jurisdiction": jiangning,
                "zone": zone,
                "note": _note(
                    "2020年3月20日签约在示范区建设20亿元精密工具基地（约100亩）。",
                    "统一社会信用代码为演示生成值。",
                ),
                "note_en": _note_en(
                    "Signed a 2-billion-yuan precision-tool base (about 100 mu) in the zone on 2020-03-20.",
                    "the credit code is generated for the demo.",
                ),
                "synthetic": True,
            }
        ],
    )[(synthetic_credit_code("tengya", "320115"),)]
    loader.rows(
        Establishment,
        ("enterprise", "kind", "jurisdiction"),
        [
            {
                "enterprise": tengya,
                "kind": EstablishmentKind.HEAD_OFFICE,
                "jurisdiction": jiangning,
                "name": "腾亚精工总部（江宁）",
                "note": "",
                "synthetic": True,
            },
            {
                "enterprise": tengya,
                "kind": EstablishmentKind.PRODUCTION_BASE,
                "jurisdiction": bowang,
                "park": manufacturing,
                "name": "腾亚精工精密工具基地（博望）",
                "opened": dt.date(2021, 10, 1),
                "note": _note(synthetic="开业日期为生成值。"),
                "note_en": _note_en(synthetic="the opening date is generated."),
                "synthetic": True,
            },
        ],
    )
    groundbreaking = split_exact(46 * YI // WAN, [_weight(f"jb-2022-{n}") for n in range(8)])
    words = INDUSTRY_WORDS[:8]
    rows = [
        {
            "code": TENGYA_PROJECT,
            "name": "腾亚精工精密工具基地",
            "name_en": "Tengya precision-tool base",
            "zone": zone,
            "park": manufacturing,
            "enterprise": tengya,
            "mode": CooperationMode.CROSS_REGION,
            "investment_fen": 20 * YI,
            "status": ProjectStatus.IN_PRODUCTION,
            "signed_on": dt.date(2020, 3, 20),
            "note": _note("20亿元，约100亩（头条转载，2020）。", "状态为生成值。"),
            "note_en": _note_en("2 billion yuan, about 100 mu (2020 reports).", "the status is generated."),
            "synthetic": True,
        },
        *(
            {
                "code": f"jb-2022-{n + 1}",
                "name": f"宁马新型功能区集中开工产业项目{n + 1}（{word}）",
                "name_en": f"Ning–Ma groundbreaking industrial project {n + 1} ({word_en})",
                "zone": zone,
                "park": manufacturing if n % 2 == 0 else parks[("jb-services",)],
                "mode": CooperationMode.INDUSTRIAL_PARK if n % 2 == 0 else CooperationMode.CROSS_REGION,
                "investment_fen": amount * WAN,
                "status": ProjectStatus.UNDER_CONSTRUCTION,
                "signed_on": dt.date(2022, 12, 16),
                "note": _note(
                    "2022年12月16日宁马新型功能区16个项目集中开工，总投资57.2亿元，其中产业项目8个、46亿元（马鞍山日报）。",
                    "项目名称与分项金额为生成值，合计46亿元与来源一致。",
                ),
                "note_en": _note_en(
                    "16 projects broke ground together on 2022-12-16, 5.72 billion yuan, of which 8 industrial "
                    "projects 4.6 billion (Ma'anshan Daily).",
                    "names and amounts are generated; they total the source's 4.6 billion.",
                ),
                "synthetic": True,
            }
            for n, ((word, word_en, _i), amount) in enumerate(zip(words, groundbreaking, strict=True))
        ),
    ]
    loader.rows(Project, ("code",), rows, m2m=lambda row: {"attracted_by": [jiangning, bowang]})
    _fund(
        loader,
        zone,
        commitments={"320115": (range(2024, 2027), 5_000), "340506": (range(2024, 2027), 5_000)},
        contributions=[
            (
                "340506",
                ContributionKind.LAND,
                3_500,
                dt.date(2024, 9, 30),
                "宁博基金〔2024〕土地1号",
                "丹阳北部启动区用地作价",
            ),
            ("320115", ContributionKind.CASH, 5_000, dt.date(2024, 12, 20), "宁博基金〔2024〕缴款1号", ""),
            ("340506", ContributionKind.CASH, 1_500, dt.date(2025, 6, 30), "宁博基金〔2025〕缴款1号", ""),
            ("320115", ContributionKind.CASH, 4_000, dt.date(2025, 12, 26), "宁博基金〔2025〕缴款2号", ""),
        ],
        disbursements=[
            (
                DisbursementPurpose.INFRASTRUCTURE,
                "博望—江宁供水一体化工程（管网）",
                "Bowang–Jiangning water-supply integration (mains)",
                2_500,
                dt.date(2025, 8, 20),
                "宁马示范区领导推进小组会议纪要〔2025〕1号",
            ),
        ],
    )


def _fund(
    loader: _Loader,
    zone: AdjacentZone,
    *,
    commitments: dict[str, tuple[range, int]],
    contributions: list[tuple[str, str, int, dt.date, str, str]],
    disbursements: list[tuple[str, str, str, int, dt.date, str]],
) -> None:
    """A zone's fund, in 万元. Every amount is invented (the sources give none): labelled so."""
    note = _note(synthetic="金额、日期和文号为生成值。")
    note_en = _note_en(synthetic="amounts, dates and references are generated.")
    parties = {code: _j(code) for code in commitments}
    loader.rows(
        FundCommitment,
        ("zone", "party", "year"),
        [
            {
                "zone": zone,
                "party": parties[code],
                "year": year,
                "amount_fen": amount * WAN,
                "note": note,
                "note_en": note_en,
                "synthetic": True,
            }
            for code, (years, amount) in commitments.items()
            for year in years
        ],
    )
    loader.rows(
        FundContribution,
        ("zone", "reference"),
        [
            {
                "zone": zone,
                "party": parties[code],
                "kind": kind,
                "amount_fen": amount * WAN,
                "date": day,
                "reference": reference,
                "description": description,
                "note": note,
                "note_en": note_en,
                "synthetic": True,
            }
            for code, kind, amount, day, reference, description in contributions
        ],
    )
    loader.rows(
        FundDisbursement,
        ("zone", "resolution"),
        [
            {
                "zone": zone,
                "purpose": purpose,
                "name": name,
                "name_en": name_en,
                "amount_fen": amount * WAN,
                "date": day,
                "resolution": resolution,
                "note": note,
                "note_en": note_en,
                "synthetic": True,
            }
            for purpose, name, name_en, amount, day, resolution in disbursements
        ],
    )


def _province_rules(loader: _Loader) -> None:
    note = "fiscal.md §2/§7：跨市县总分机构企业所得税的本省办法未查到（❌）；办公室核实后可修改。"
    note_en = "fiscal.md §2: the province's own rule for such head offices was not found; the office may correct it."
    loader.rows(
        ProvinceRule,
        ("province",),
        [
            {
                "province": _j(code),
                "apportioned_across_cities": False,
                "rule": DEFAULT_RULE,
                "rule_en": DEFAULT_RULE_EN,
                "note": note,
                "note_en": note_en,
                "synthetic": False,
            }
            for code in ("320000", "340000")
        ],
    )


def load_cooperation_demo(report: Any) -> None:
    """Named on the app's config (``demo_loaders``); core/demo.py runs it inside the load's transaction."""
    loader = _Loader(report)
    _province_rules(loader)
    _ninghuai(loader)
    _pukou_nanqiao(loader)
    _jiangning_bowang(loader)
