"""The models of the cooperation system. Records and the fund (S-Z3/S-Z4, S-B1) are in records.py and
fund.py; agreements, receipts and statistics join them here."""

from .fund import (
    ContributionKind,
    DisbursementPurpose,
    FundCommitment,
    FundContribution,
    FundDisbursement,
)
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

__all__ = [
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
    "Park",
    "ParkYear",
    "Project",
    "ProjectStatus",
    "ProvinceRule",
]
