"""The models of the cooperation system (合作体系): records and the fund (S-Z3/S-Z4, S-B1) in records.py and
fund.py; agreements, receipts, and indicators (S-B2..B4); the 57号 factors are the records' (records.py) in agreements.py and receipts.py."""

from .agreements import Agreement, AgreementVersion, VersionStatus
from .fund import (
    ContributionKind,
    DisbursementPurpose,
    FundCommitment,
    FundContribution,
    FundDisbursement,
)
from .receipts import INDICATOR_CHOICES, IndicatorValue, Receipt, ReceiptSum, format_yyyymm
from .records import (
    ApportionmentFactor,
    CooperationMode,
    Enterprise,
    Establishment,
    EstablishmentKind,
    Park,
    ParkYear,
    Project,
    ProjectStatus,
    ProvinceRule,
)
from .settlements import (
    LineKind,
    Settlement,
    SettlementError,
    SettlementLine,
    SettlementParty,
    SettlementStatus,
)

__all__ = [
    "INDICATOR_CHOICES",
    "Agreement",
    "AgreementVersion",
    "ApportionmentFactor",
    "ContributionKind",
    "CooperationMode",
    "DisbursementPurpose",
    "Enterprise",
    "Establishment",
    "EstablishmentKind",
    "FundCommitment",
    "FundContribution",
    "FundDisbursement",
    "IndicatorValue",
    "Park",
    "ParkYear",
    "Project",
    "ProjectStatus",
    "ProvinceRule",
    "Receipt",
    "ReceiptSum",
    "VersionStatus",
    "LineKind",
    "Settlement",
    "SettlementError",
    "SettlementLine",
    "SettlementParty",
    "SettlementStatus",
    "format_yyyymm",
]
