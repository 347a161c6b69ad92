"""The industry of an enterprise by GB/T 4754-2017 《国民经济行业分类》: a section letter (门类) alone, or
the letter with a two-digit division (大类), e.g. ``C39`` 计算机、通信和其他电子设备制造业.

Only the sections and divisions the demo and the co-built parks of the Nanjing metropolitan area use are
shipped; another code is refused with the list of those known. Add a line to ``INDUSTRIES`` to allow one
more (the numbers are the standard's)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongcheng.core.validators import MESSAGES, InvalidValue, gettext_noop, normalise_text

__all__ = ["INDUSTRIES", "check_industry", "industry_choices", "industry_name"]

# code -> (Chinese name, English name). Sections are a letter; divisions the letter and two digits.
INDUSTRIES: dict[str, tuple[str, str]] = {
    "A": ("农、林、牧、渔业", "Agriculture, forestry, animal husbandry and fishery"),
    "C": ("制造业", "Manufacturing"),
    "C13": ("农副食品加工业", "Processing of food from agricultural products"),
    "C14": ("食品制造业", "Manufacture of foods"),
    "C26": ("化学原料和化学制品制造业", "Manufacture of raw chemical materials and chemical products"),
    "C27": ("医药制造业", "Manufacture of medicines"),
    "C29": ("橡胶和塑料制品业", "Manufacture of rubber and plastic products"),
    "C30": ("非金属矿物制品业", "Manufacture of non-metallic mineral products"),
    "C33": ("金属制品业", "Manufacture of metal products"),
    "C34": ("通用设备制造业", "Manufacture of general-purpose machinery"),
    "C35": ("专用设备制造业", "Manufacture of special-purpose machinery"),
    "C36": ("汽车制造业", "Manufacture of automobiles"),
    "C37": (
        "铁路、船舶、航空航天和其他运输设备制造业",
        "Manufacture of railway, ship, aerospace and other transport equipment",
    ),
    "C38": ("电气机械和器材制造业", "Manufacture of electrical machinery and apparatus"),
    "C39": (
        "计算机、通信和其他电子设备制造业",
        "Manufacture of computers, communication and other electronic equipment",
    ),
    "C40": ("仪器仪表制造业", "Manufacture of measuring instruments"),
    "D": ("电力、热力、燃气及水生产和供应业", "Production and supply of electricity, heat, gas and water"),
    "D44": ("电力、热力生产和供应业", "Production and supply of electricity and heat"),
    "E": ("建筑业", "Construction"),
    "F": ("批发和零售业", "Wholesale and retail trades"),
    "F51": ("批发业", "Wholesale trade"),
    "G": ("交通运输、仓储和邮政业", "Transport, storage and post"),
    "G58": ("多式联运和运输代理业", "Multimodal transport and transport agency"),
    "G59": ("装卸搬运和仓储业", "Handling and warehousing"),
    "I": ("信息传输、软件和信息技术服务业", "Information transmission, software and IT services"),
    "I64": ("互联网和相关服务", "Internet and related services"),
    "I65": ("软件和信息技术服务业", "Software and information technology services"),
    "K": ("房地产业", "Real estate"),
    "L": ("租赁和商务服务业", "Leasing and business services"),
    "L72": ("商务服务业", "Business services"),
    "M": ("科学研究和技术服务业", "Scientific research and technical services"),
    "M73": ("研究和试验发展", "Research and experimental development"),
    "M75": ("科技推广和应用服务业", "Technology promotion and application services"),
    "P": ("教育", "Education"),
}

MESSAGES["industry_code"] = gettext_noop(
    "%(value)s is not a GB/T 4754 industry code this platform knows (a section letter, or the letter and a "
    "two-digit division such as C39)."
)
INDUSTRY_MAX = 3


def check_industry(value: object) -> str:
    """The normalised industry code (``c39`` → ``C39``) or ``InvalidValue`` (code ``industry_code``)."""
    code = normalise_text(value)
    if code not in INDUSTRIES:
        raise InvalidValue("industry_code", params={"value": code or "—"})
    return code


def industry_name(code: str, english: bool = False) -> str:
    names = INDUSTRIES.get(code)
    if names is None:
        return code
    return names[1] if english else names[0]


def industry_choices() -> list[tuple[str, str]]:
    """(code, "code name") pairs in the active language, for selects and import templates."""
    from tongcheng.core.bilingual import is_english

    english = is_english()
    return [(code, f"{code} {industry_name(code, english)}") for code in INDUSTRIES]


LABEL = _("Industry (GB/T 4754)")
