"""Demo rules of engagement: v1 (superseded) and v2 (current), some partner admins accepted.

Idempotent: a tenant that already has any version is left alone.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from tenancy.access import actor_for_user
from tenancy.models import Membership
from tenancy.roles import Role

from ..models import RoeAcceptance, RulesOfEngagement
from ..services.roe import roe_accept, roe_draft_create, roe_publish

TITLE = "{tenant} Partner Program: Rules of Engagement"

V1 = """\
These rules say how {tenant} and its partners work opportunities together, so that everyone
knows who owns a deal before anyone spends time on it.

## 1. Deal registration

A **valid registration** names:

- the end customer (legal entity and country) and a named contact there,
- the products and an estimated deal value,
- an expected close date within the next 6 months, and
- a concrete next step the partner is driving (a meeting, a workshop, a proof of concept).

Registrations for existing {tenant} customers are valid only for **new** projects or
products the customer does not already buy.

## 2. Lifetime

An approved registration protects the opportunity for **90 days** from approval.

## 3. Conflicts

- **First to register wins**: when two partners register the same opportunity, the first
  complete, valid registration is approved.
- A conflict with {tenant} direct sales is escalated to the channel team.

## 4. Conduct

Partners represent {tenant} products accurately and do not quote prices below the
published partner price list without written approval.
"""

V2 = """\
These rules say how {tenant} and its partners work opportunities together, so that everyone
knows who owns a deal before anyone spends time on it. They apply to every partner in the
program, whatever their tier.

## 1. Deal registration

A **valid registration** names:

1. the end customer (legal entity and country) and a named contact there,
2. the products and an estimated deal value,
3. an expected close date within the next 6 months, and
4. a concrete next step the partner is driving (a meeting, a workshop, a proof of concept).

Registrations for existing {tenant} customers are valid only for **new** projects or
products the customer does not already buy. Registrations are approved or rejected, with a
reason, within **2 business days**.

## 2. Lifetime and extension

| Stage | Protection |
|---|---|
| Approved registration | 90 days from approval |
| One extension (on request, with a documented next step) | +30 days |

After the extension the registration expires; the partner may register again only with
new evidence of progress.

## 3. Conflicts

- **First to register wins**: when two partners register the same opportunity, the first
  complete, valid registration is approved. Incomplete registrations do not hold a place.
- **Direct sales conflicts** (a {tenant} account executive already works the opportunity)
  are resolved by the **channel chief within 5 business days**. Until then neither side
  discounts or submits a proposal.
- The decision and its reason are recorded on the registration and shared with both sides.

## 4. Conduct

- Partners represent {tenant} products accurately and quote from the published partner
  price list; deeper discounts need written approval through deal registration.
- Customer data shared through the portal is used only for the registered opportunity.

> Questions about these rules? Ask your channel manager before you register, not after.
"""

V2_SUMMARY = (
    "One 30-day extension; direct-sales conflicts decided by the channel chief within "
    "5 business days; 2-day registration review."
)


def seed(tenant, *, staff) -> None:
    """Demo data for this area, inside tenant_context(tenant). staff: role name -> User."""
    if RulesOfEngagement.objects.exists():
        return
    publisher = actor_for_user(staff["admin"], tenant)
    names = {"tenant": tenant.name}
    admins = list(
        Membership.objects.filter(role=Role.PARTNER_ADMIN, is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    now = timezone.now()

    v1 = roe_draft_create(
        actor=publisher,
        title=TITLE.format(**names),
        body=V1.format(**names),
        change_summary="First version.",
    )
    v1 = roe_publish(actor=publisher, rules=v1, notify=False)
    # Most partners accepted the first version; fewer have got round to the second yet.
    for membership in admins[: max(1, len(admins) * 3 // 4)]:
        roe_accept(
            actor=actor_for_user(membership.user, tenant), rules=v1, ip_address="198.51.100.23"
        )

    v2 = roe_draft_create(
        actor=publisher,
        title=TITLE.format(**names),
        body=V2.format(**names),
        change_summary=V2_SUMMARY,
    )
    v2 = roe_publish(actor=publisher, rules=v2, notify=False)
    for membership in admins[: max(1, len(admins) // 2)]:
        roe_accept(
            actor=actor_for_user(membership.user, tenant), rules=v2, ip_address="203.0.113.41"
        )

    # Spread the history over the past months so the console reads like a real program.
    RulesOfEngagement.objects.filter(pk=v1.pk).update(
        created_at=now - timedelta(days=214), published_at=now - timedelta(days=210)
    )
    RulesOfEngagement.objects.filter(pk=v2.pk).update(
        created_at=now - timedelta(days=25), published_at=now - timedelta(days=21)
    )
    for offset, acceptance in enumerate(RoeAcceptance.objects.filter(rules=v1).order_by("pk")):
        RoeAcceptance.objects.filter(pk=acceptance.pk).update(
            accepted_at=now - timedelta(days=max(30, 208 - 2 * offset), hours=offset)
        )
    for offset, acceptance in enumerate(RoeAcceptance.objects.filter(rules=v2).order_by("pk")):
        RoeAcceptance.objects.filter(pk=acceptance.pk).update(
            accepted_at=now - timedelta(days=max(1, 19 - offset), hours=offset)
        )
