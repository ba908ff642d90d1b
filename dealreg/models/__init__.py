"""Deal registration: customer accounts (and direct-sales opportunities on them), registrations
with their status history, extensions, the tenant's public rules and approval routing, disputes."""

from .accounts import AccountNameWord, CustomerAccount, DirectOpportunity
from .disputes import Dispute, DisputeComment, DisputeOutcome, DisputeStatus
from .registrations import (
    DealEvent,
    DealRegistration,
    DealStatus,
    ExtensionRequest,
    ExtensionStatus,
    SalesStage,
    SlaState,
)
from .rules import DealRules, RoutingRule

__all__ = [
    "AccountNameWord",
    "CustomerAccount",
    "DealEvent",
    "DealRegistration",
    "DealRules",
    "DealStatus",
    "DirectOpportunity",
    "Dispute",
    "DisputeComment",
    "DisputeOutcome",
    "DisputeStatus",
    "ExtensionRequest",
    "ExtensionStatus",
    "RoutingRule",
    "SalesStage",
    "SlaState",
]
