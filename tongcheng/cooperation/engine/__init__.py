"""Revenue-sharing settlement engine (S-B2, S-B3, S-B4): pure Python + NumPy, no Django.

Public API: ``settle`` over ``Receipts`` and an ``AgreementSet`` (see docs/settlement-formats.md).
"""

from .agreements import parse_agreements
from .settle import Prepared, prepare, settle
from .types import (
    AgreementSet,
    BranchFactors,
    Contribution,
    EngineInputError,
    IndicatorRows,
    LocalShareRow,
    Receipts,
    Settlement,
    format_period,
    parse_period,
    parse_period_range,
)

__all__ = [
    "AgreementSet",
    "BranchFactors",
    "Contribution",
    "EngineInputError",
    "IndicatorRows",
    "LocalShareRow",
    "Receipts",
    "Settlement",
    "format_period",
    "parse_agreements",
    "parse_period",
    "parse_period_range",
    "prepare",
    "Prepared",
    "settle",
]
