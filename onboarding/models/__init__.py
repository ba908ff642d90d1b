"""Onboarding: partner agreements and signatures, the onboarding workflow and its steps, the mail
it sends (welcome kit, 30-day cadence) with a log, milestones and benefit gates, tour and wizard."""

from .agreements import AgreementSignature, AgreementTemplate, SignatureMethod
from .cadence import CadenceCondition, CadenceSender, CadenceStep, EmailUnsubscribe
from .mail import EmailKind, EmailStatus
from .progress import (
    Benefit,
    BenefitGate,
    GateScope,
    Milestone,
    MilestoneKey,
    OnboardingSettings,
    PortalLogin,
    SetupWizardProgress,
    TourState,
)
from .workflow import OnboardingRun, OnboardingStep, RunStatus, StepKey, StepStatus

__all__ = [
    "AgreementSignature",
    "AgreementTemplate",
    "Benefit",
    "BenefitGate",
    "CadenceCondition",
    "CadenceSender",
    "CadenceStep",
    "EmailKind",
    "EmailStatus",
    "EmailUnsubscribe",
    "GateScope",
    "Milestone",
    "MilestoneKey",
    "OnboardingRun",
    "OnboardingSettings",
    "OnboardingStep",
    "PortalLogin",
    "RunStatus",
    "SetupWizardProgress",
    "SignatureMethod",
    "StepKey",
    "StepStatus",
    "TourState",
]
