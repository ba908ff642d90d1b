"""The demo seed: two tracks, awards at every stage, idempotent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from enablement.certs import demo, services
from enablement.certs.models import Certification, CertificationAward, CertificationTrack
from tenancy.context import tenant_context

pytestmark = pytest.mark.django_db


def test_demo_seed_covers_every_stage_and_is_idempotent(acme):
    with tenant_context(acme.tenant):
        demo.seed(acme.tenant, staff={"admin": acme.admin})
        counts = (
            CertificationTrack.objects.count(),
            Certification.objects.count(),
            CertificationAward.objects.count(),
        )
        demo.seed(acme.tenant, staff={"admin": acme.admin})
        assert counts == (
            CertificationTrack.objects.count(),
            Certification.objects.count(),
            CertificationAward.objects.count(),
        )
        assert counts[:2] == (2, 4)
        now = timezone.now()
        awards = list(CertificationAward.objects.all())
        assert any(a.expires_at <= now for a in awards)  # expired
        assert any(now < a.expires_at <= now + timedelta(days=30) for a in awards)  # expiring
        assert any(a.expires_at > now + timedelta(days=30) for a in awards)  # valid
        assert Certification.objects.filter(prerequisite__isnull=False).count() == 2
        assert services.certification_facts(acme.partner).certified_people >= 1
