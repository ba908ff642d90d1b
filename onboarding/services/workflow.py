"""The onboarding workflow a signature starts: lifecycle → invites → welcome kit → enrolment.

One OnboardingRun per partner (database-unique), one OnboardingStep per step; each step checks its
own row and does nothing once done, so a re-run after a crash or a duplicate delivery only does
what is left.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from tenancy.context import require_current_tenant
from tenancy.tasks import enqueue

from ..models import AgreementSignature, MilestoneKey, OnboardingRun, OnboardingStep, StepKey
from .progress import milestone_reach


@transaction.atomic
def onboarding_start(*, signature: AgreementSignature) -> OnboardingRun:
    """Start the partner's onboarding once (call it in the signing transaction). A partner that
    already has a run (signed an earlier version, or this is a second delivery) keeps it."""
    from ..tasks.workflow import run_onboarding

    milestone_reach(
        partner=signature.partner, key=MilestoneKey.AGREEMENT_SIGNED, at=signature.signed_at
    )
    existing = OnboardingRun.objects.filter(partner=signature.partner).first()
    if existing is not None:
        return existing
    tenant = require_current_tenant()
    try:
        with transaction.atomic():
            run = OnboardingRun.objects.create(
                tenant=tenant, partner=signature.partner, signature=signature
            )
    except IntegrityError:  # a concurrent signature of another version won the race
        return OnboardingRun.objects.get(partner=signature.partner)
    OnboardingStep.objects.bulk_create(
        [
            OnboardingStep(tenant=tenant, run=run, key=key, updated_at=timezone.now())
            for key in StepKey.values
        ]
    )
    enqueue(run_onboarding, tenant=tenant, run_id=run.pk)
    return run
