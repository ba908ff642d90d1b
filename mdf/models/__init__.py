"""MDF: funds per period, allocations per partner and their ledger; fund requests, claims with
proof of performance, payouts."""

from .funds import (
    Allocation,
    AllocationBasis,
    CarryOver,
    EntryKind,
    Fund,
    FundPeriod,
    LedgerEntry,
)
from .requests import (
    ActivityType,
    Claim,
    ClaimFile,
    ClaimFileKind,
    ClaimStatus,
    FundRequest,
    Payout,
    PayoutMethod,
    RequestEvent,
    RequestStatus,
)

__all__ = [
    "ActivityType",
    "Allocation",
    "AllocationBasis",
    "CarryOver",
    "Claim",
    "ClaimFile",
    "ClaimFileKind",
    "ClaimStatus",
    "EntryKind",
    "Fund",
    "FundPeriod",
    "FundRequest",
    "LedgerEntry",
    "Payout",
    "PayoutMethod",
    "RequestEvent",
    "RequestStatus",
]
