from .currency import ExchangeRate
from .imports import ImportStatus, PartnerImport
from .ipp import CriterionField, CriterionGroup, IdealPartnerProfile, IppCriterion, Operator
from .organization import (
    Application,
    ApplicationDecision,
    ContactRole,
    EmployeeBand,
    LifecycleEvent,
    LifecycleState,
    PartnerContact,
    PartnerOrganization,
    PartnerSource,
    PartnerType,
    Region,
    RevenueBand,
    SalesMotion,
)
from .revenue import RevenueKind, RevenueRecord
from .roe import RoeAcceptance, RulesOfEngagement
from .routing import ApplicationRoutingRule, AssignedVia, RoutingFallback
from .strategy import FinancialModel, GtmPlay, Motion, SwotItem, SwotQuadrant
from .tiers import LeadPriority, ProgramSettings, ProposalStatus, Tier, TierChange, TierProposal

__all__ = [
    "Application",
    "ApplicationDecision",
    "ApplicationRoutingRule",
    "AssignedVia",
    "ContactRole",
    "CriterionField",
    "CriterionGroup",
    "EmployeeBand",
    "ExchangeRate",
    "FinancialModel",
    "GtmPlay",
    "IdealPartnerProfile",
    "ImportStatus",
    "IppCriterion",
    "LeadPriority",
    "LifecycleEvent",
    "LifecycleState",
    "Motion",
    "Operator",
    "PartnerContact",
    "PartnerImport",
    "PartnerOrganization",
    "PartnerSource",
    "PartnerType",
    "ProgramSettings",
    "ProposalStatus",
    "Region",
    "RevenueBand",
    "RevenueKind",
    "RevenueRecord",
    "RoeAcceptance",
    "RoutingFallback",
    "RulesOfEngagement",
    "SalesMotion",
    "SwotItem",
    "SwotQuadrant",
    "Tier",
    "TierChange",
    "TierProposal",
]
