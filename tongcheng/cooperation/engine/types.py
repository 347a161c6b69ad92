"""Value types of the settlement engine: periods, receipts, agreements, factors, results.

Every categorical column (enterprise, jurisdiction, tax type, project) is held as integer codes into a
vocabulary tuple, the way Parquet and Polars hold dictionary-encoded strings: the hot path then works on
integers only and never hashes a string per row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]

#: Pseudo-jurisdiction of the central treasury (中央国库); GB/T 2260 has no code for it.
CENTRAL_TREASURY = "000000"
BP = 10_000  # basis points in one whole

_PERIOD_RE = re.compile(r"^(\d{4})-(\d{2})$")


class EngineInputError(ValueError):
    """Invalid engine input; ``where`` names the place (file, row, column or JSON path)."""

    def __init__(self, message: str, where: str = "") -> None:
        super().__init__(f"{where}: {message}" if where else message)
        self.where = where
        self.detail = message


def parse_period(text: str) -> int:
    """'YYYY-MM' -> months since year 0 (year * 12 + month - 1), so periods subtract and compare."""
    m = _PERIOD_RE.match(str(text).strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise EngineInputError(f"period {text!r} is not YYYY-MM")
    return int(m.group(1)) * 12 + int(m.group(2)) - 1


def format_period(p: int) -> str:
    return f"{p // 12:04d}-{p % 12 + 1:02d}"


def parse_period_range(text: str) -> tuple[int, int]:
    """'2026-01..2026-12' (or a single 'YYYY-MM') -> inclusive (first, last)."""
    parts = str(text).split("..")
    if len(parts) == 1:
        p = parse_period(parts[0])
        return p, p
    if len(parts) != 2:
        raise EngineInputError(f"period range {text!r} is not YYYY-MM..YYYY-MM")
    a, b = parse_period(parts[0]), parse_period(parts[1])
    if b < a:
        raise EngineInputError(f"period range {text!r} ends before it starts")
    return a, b


@dataclass(frozen=True)
class Receipts:
    """Tax actually collected (实际入库), one row per receipt, columnar.

    ``amount`` is integer fen (分); refunds are negative. ``period`` is months since year 0.
    """

    enterprise: IntArray  # codes into ``enterprises`` (统一社会信用代码)
    jurisdiction: IntArray  # codes into ``jurisdictions`` (collecting treasury, GB/T 2260)
    period: IntArray
    tax_type: IntArray  # codes into ``tax_types``
    amount: IntArray
    enterprises: tuple[str, ...]
    jurisdictions: tuple[str, ...]
    tax_types: tuple[str, ...]
    project: IntArray | None = None  # codes into ``projects``; -1 = no project
    projects: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.amount.shape[0])

    def validate(self) -> None:
        """Raise if a column has the wrong length or a code lies outside its vocabulary."""
        n = len(self)
        for name, col, vocab in (
            ("enterprise", self.enterprise, self.enterprises),
            ("jurisdiction", self.jurisdiction, self.jurisdictions),
            ("tax_type", self.tax_type, self.tax_types),
            ("project", self.project, self.projects),
        ):
            if col is None:
                continue
            if col.shape != (n,) or col.dtype.kind not in "iu":
                raise EngineInputError(f"receipts column {name}: expected {n} integer codes")
            shifted = col + 1 if name == "project" else col
            # one reduction instead of min and max: negative codes become huge when read unsigned
            top = len(vocab) + (1 if name == "project" else 0)
            if n and int(shifted.astype(np.int64, copy=False).view(np.uint64).max()) >= top:
                raise EngineInputError(f"receipts column {name}: a code lies outside its vocabulary")
        if self.period.shape != (n,) or self.amount.dtype.kind not in "iu":
            raise EngineInputError("receipts: period and amount must be integer columns of equal length")

    @staticmethod
    def from_columns(
        enterprise: list[str] | npt.ArrayLike,
        jurisdiction: list[str] | npt.ArrayLike,
        period: list[str] | npt.ArrayLike,
        tax_type: list[str] | npt.ArrayLike,
        amount: npt.ArrayLike,
        project: list[str | None] | None = None,
    ) -> Receipts:
        """Build from plain string columns (tests, small inputs); encodes vocabularies sorted."""

        def encode(col: npt.ArrayLike) -> tuple[IntArray, tuple[str, ...]]:
            arr = np.asarray(col, dtype=object).astype(str)
            vocab, codes = np.unique(arr, return_inverse=True)
            return codes.astype(np.int64).reshape(-1), tuple(str(v) for v in vocab)

        ent, ents = encode(enterprise)
        jur, jurs = encode(jurisdiction)
        tax, taxes = encode(tax_type)
        per_in = np.asarray(period, dtype=object).reshape(-1)
        per = np.fromiter((parse_period(str(p)) for p in per_in), dtype=np.int64, count=per_in.shape[0])
        proj_codes: IntArray | None = None
        projs: tuple[str, ...] = ()
        if project is not None:
            names = sorted({p for p in project if p})
            idx = {p: i for i, p in enumerate(names)}
            proj_codes = np.array([idx[p] if p else -1 for p in project], dtype=np.int64)
            projs = tuple(names)
        return Receipts(
            enterprise=ent,
            jurisdiction=jur,
            period=per,
            tax_type=tax,
            amount=np.asarray(amount, dtype=np.int64).reshape(-1),
            enterprises=ents,
            jurisdictions=jurs,
            tax_types=taxes,
            project=proj_codes,
            projects=projs,
        )


# ---------------------------------------------------------------------------------------------------
# Agreements
# ---------------------------------------------------------------------------------------------------

#: A ratio given either for every tax type or per tax type ("*" = every other tax type).
RatioSpec = dict[str, tuple[int, ...]]


@dataclass(frozen=True)
class Party:
    jurisdiction: str
    role: str  # host (转入地/园区所在地), partner, origin (转出地) …


@dataclass(frozen=True)
class Term:
    start: int
    end: int | None  # inclusive; None = open-ended
    extension_end: int | None = None  # the end of an optional extension
    extended: bool = False  # for non-capped agreements: the extension has been agreed


@dataclass(frozen=True)
class BaseRule:
    """What part of the receipts is shareable.

    kind ``local_share``: amount x local retained share (dated table) x fraction; kind ``total``:
    amount x fraction. Fractions in bp per tax type ("*" = default).
    """

    kind: Literal["local_share", "total"]
    fraction_bp: dict[str, int]

    def fraction_for(self, tax: str) -> int:
        return self.fraction_bp.get(tax, self.fraction_bp.get("*", BP))


@dataclass(frozen=True)
class FixedRatio:
    bp: RatioSpec
    kind: Literal["fixed"] = "fixed"


@dataclass(frozen=True)
class Step:
    start: int
    bp: RatioSpec


@dataclass(frozen=True)
class SteppedRatio:
    steps: tuple[Step, ...]  # sorted by start; the first step starts at or before the term
    kind: Literal["stepped"] = "stepped"


@dataclass(frozen=True)
class ContributionRatio:
    """Ratio = cumulative contributions up to the previous period, clamped to [floor, cap] per party."""

    floor_bp: tuple[int, ...]
    cap_bp: tuple[int, ...]
    initial_bp: tuple[int, ...]  # used while nobody has contributed yet
    kind: Literal["contribution"] = "contribution"


@dataclass(frozen=True)
class IncrementRatio:
    """Stock/increment (存量/增量, 川渝): a baseline per month stays with ``stock_party``."""

    bp: RatioSpec
    stock_party: int  # party index
    baseline_fen: dict[str, int]  # per tax type, per month, of the shareable base ("*" = default)
    kind: Literal["increment"] = "increment"

    def baseline_for(self, tax: str) -> int:
        return self.baseline_fen.get(tax, self.baseline_fen.get("*", 0))


@dataclass(frozen=True)
class CappedRatio:
    """A party's cumulative share stops at a cap (京津冀 财预〔2015〕92号); the rest goes to the others."""

    bp: RatioSpec
    capped_party: int  # party index
    cap_fen: int
    consumed_fen: int  # cumulative share already received before the first settled period
    share_end: int  # last period of the capped party's sharing term
    extension_end: int | None  # extended to here if the cap is not reached by share_end
    kind: Literal["capped"] = "capped"


RatioRule = FixedRatio | SteppedRatio | ContributionRatio | IncrementRatio | CappedRatio

INDICATORS = ("gdp", "industrial_output", "fixed_asset_investment", "revenue")


@dataclass(frozen=True)
class StatisticsRule:
    """Statistical attribution (S-B3); ``double_count`` = 在地统计 plus appraisal-only double counting."""

    bp: dict[str, tuple[int, ...]]  # indicator -> ratio per party
    double_count: bool = False


@dataclass(frozen=True)
class Agreement:
    id: str
    parties: tuple[Party, ...]
    tie_order: tuple[int, ...]  # party indexes, first wins a tie
    enterprises: tuple[str, ...]  # explicit scope, parks already expanded
    projects: tuple[str, ...]
    tax_types: tuple[str, ...]  # empty = every tax type
    term: Term
    base: BaseRule
    ratio: RatioRule
    statistics: StatisticsRule | None = None
    name: str = ""
    collected_in: tuple[str, ...] = ()  # only receipts collected by these treasuries (empty = any)

    def covers_tax(self, tax: str) -> bool:
        return not self.tax_types or tax in self.tax_types


@dataclass(frozen=True)
class AgreementSet:
    """One partition of the settlement: agreements that share no (enterprise, tax type) scope."""

    agreements: tuple[Agreement, ...]


# ---------------------------------------------------------------------------------------------------
# Other inputs
# ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LocalShareRow:
    tax_type: str
    valid_from: int
    valid_to: int | None  # inclusive
    local_bp: int
    name_zh: str = ""
    source: str = ""


@dataclass(frozen=True)
class BranchFactors:
    """One unit of a cross-province head-office enterprise (跨地区汇总纳税企业) for one year.

    The money factors are those of the previous year (上年度), as 57号 art. 15 requires; ``year`` is the
    year in which they are applied.
    """

    enterprise: str  # the head office's credit code; all CIT receipts of it are the consolidated tax
    unit: str  # unit id; "HQ" for the head office itself
    jurisdiction: str
    year: int
    revenue_fen: int = 0
    payroll_fen: int = 0
    assets_fen: int = 0
    opened: int | None = None  # period of establishment
    closed: int | None = None  # period of tax deregistration
    support_no_vat: bool = False  # internal support unit paying no local VAT (art. 5(1))
    small_low_profit: bool = False  # enterprise certified 小型微利 in the previous year (art. 5(2))

    @property
    def is_head_office(self) -> bool:
        return self.unit == "HQ"


@dataclass(frozen=True)
class Contribution:
    agreement: str
    jurisdiction: str
    period: int
    amount_fen: int


@dataclass(frozen=True)
class IndicatorRows:
    """Statistical indicators of enterprises (integer units, e.g. 元), columnar."""

    enterprise: tuple[str, ...]
    period: tuple[int, ...]
    indicator: tuple[str, ...]
    value: tuple[int, ...]


# ---------------------------------------------------------------------------------------------------
# Results
# ---------------------------------------------------------------------------------------------------


@dataclass
class Settlement:
    """Columnar result of one partition. Money in fen; categorical columns are codes into the vocabularies."""

    agreement_ids: tuple[str, ...]
    roles: tuple[tuple[str, ...], ...]  # per agreement, per party slot
    tax_types: tuple[str, ...]
    jurisdictions: tuple[str, ...]
    # allocations: one row per (agreement, tax type, period, party)
    alloc_agreement: IntArray
    alloc_tax: IntArray
    alloc_period: IntArray  # months since year 0
    alloc_party: IntArray  # party slot in the agreement
    alloc_jurisdiction: IntArray
    alloc_base: IntArray  # the group's base (same on every party row of the group)
    alloc_share: IntArray
    alloc_ratio_bp: IntArray  # the stated ratio (before baselines and caps)
    # positions: one row per (period, jurisdiction) with any collection or entitlement
    pos_period: IntArray
    pos_jurisdiction: IntArray
    pos_collected: IntArray
    pos_entitled: IntArray
    pos_net: IntArray
    # transfers: (period, payer, payee, amount)
    transfers: list[tuple[int, str, str, int]]
    totals: dict[str, int] = field(default_factory=dict)
    per_period: dict[str, dict[str, int]] = field(default_factory=dict)
    statistics: list[dict[str, object]] = field(default_factory=list)
    headquarters: list[dict[str, object]] = field(default_factory=list)
