"""Demo data for onboarding: agreement versions (general v1, v2 and a v3 draft; a referral
agreement), the recommended 30-day cadence, a signature and a finished onboarding for every
contracted/active partner (with its welcome kit and cadence mail in the log), and the approved
partners spread over the onboarding steps: one still to sign, one signed today (its workflow runs
for real when the worker starts), one a week in, one three weeks in with a first deal. One run
failed at the welcome kit and one bounced mail show the console's retry views.

Every milestone stands on the event that makes it true, written here or by the areas before and
after: the signature, the invitation the workflow sent (accepted by the partner's demo users),
their portal logins, the setup wizard they finished, the 101 completions (LMS demo), the
downloads (assets demo) and the first deal (registered by the deal-registration demo at the time
`planned_first_deals()` gives it). `record_milestones`, run after every area's demo, dates the
milestones from those events.

Idempotent: nothing is added once the tenant has agreement versions."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from enablement.assets import selectors as asset_selectors
from enablement.lms import selectors as lms_selectors
from partners.models import (
    ContactRole,
    LifecycleEvent,
    LifecycleState,
    PartnerContact,
    PartnerOrganization,
    PartnerType,
)
from partners.services.organization import partner_transition
from tenancy.access import SYSTEM, actor_for_user
from tenancy.context import require_current_tenant
from tenancy.models import Invitation, Membership, OutboundEmail, User

from ..models import (
    AgreementSignature,
    AgreementTemplate,
    CadenceCondition,
    CadenceStep,
    EmailKind,
    EmailStatus,
    MilestoneKey,
    OnboardingRun,
    OnboardingStep,
    PortalLogin,
    RunStatus,
    SetupWizardProgress,
    SignatureMethod,
    StepKey,
    StepStatus,
)
from ..services import agreements as agreement_services
from ..services.cadence import cadence_load_recommended, cadence_values, render_cadence
from ..services.mail import email_queue
from ..services.progress import (
    WIZARD_STEPS,
    milestones_refresh,
    profile_missing_fields,
)

K = MilestoneKey
S = LifecycleState

GENERAL_V1 = """# Partner Program Agreement

This agreement is between **{vendor}** ("Vendor") and the partner named below ("Partner").

## 1. Appointment
Vendor appoints Partner as a non-exclusive partner to market, resell or refer Vendor's products in
the regions agreed with its channel manager.

## 2. Program terms
Partner's tier, margins and benefits follow the program guide published in the partner portal.
Vendor may change the guide with 30 days' notice.

## 3. Deal registration
Registered and approved opportunities are protected for the registration lifetime set out in the
public registration rules and the rules of engagement.

## 4. Brand use
Partner may use Vendor's marks only as shown in the brand guidelines and co-branded templates.

## 5. Confidentiality
Each party keeps the other's confidential information secret for three years after this
agreement ends.

## 6. Term and termination
This agreement runs for one year and renews automatically. Either party may end it with 60 days'
written notice.
"""

GENERAL_V2 = (
    GENERAL_V1.replace(
        "## 5. Confidentiality",
        "## 5. Data protection\nEach party processes personal data of the other's contacts only "
        "to run the program, under the data processing addendum in the portal.\n\n"
        "## 6. Confidentiality",
    )
    .replace("## 6. Term and termination", "## 7. Term and termination")
    .replace("30 days' notice", "45 days' notice")
)

GENERAL_V3_DRAFT = GENERAL_V2.replace(
    "## 4. Brand use",
    "## 4. Market development funds\nMDF is granted per campaign and paid "
    "against proof of execution within 90 days.\n\n## 5. Brand use",
)

REFERRAL_V1 = """# Referral Partner Agreement

This agreement is between **{vendor}** ("Vendor") and the referral partner named below.

## 1. Referrals
Partner introduces prospective customers; Vendor sells to them directly.

## 2. Referral fee
Vendor pays 10% of the first-year contract value of each accepted, closed referral, within 45
days of the customer's payment.

## 3. Acceptance
A referral is accepted when it is registered in the partner portal and approved under the public
registration rules.

## 4. Term
One year, renewing automatically; 30 days' written notice to end it.
"""

# A PDF for the offline signature of the partner signed "today" (the service sniffs %PDF).
CONTRACT_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 612 792]>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)


def _templates(admin_actor, vendor: str) -> dict[str, AgreementTemplate]:
    now = timezone.now()
    made = {}
    for key, title, partner_type, body, summary, days_ago in (
        ("v1", "Partner Program Agreement", "", GENERAL_V1, "", 900),
        (
            "v2",
            "Partner Program Agreement",
            "",
            GENERAL_V2,
            "Adds data protection; 45 days' notice for guide changes.",
            150,
        ),
        ("referral", "Referral Partner Agreement", PartnerType.REFERRAL, REFERRAL_V1, "", 600),
        (
            "v3",
            "Partner Program Agreement",
            "",
            GENERAL_V3_DRAFT,
            "Adds the MDF clause.",
            None,
        ),
    ):
        template = agreement_services.agreement_draft_create(
            actor=admin_actor,
            title=title,
            partner_type=partner_type,
            body=body.format(vendor=vendor),
            summary_of_changes=summary,
        )
        if days_ago is not None:
            template = agreement_services.agreement_publish(actor=admin_actor, template=template)
            when = now - timedelta(days=days_ago)
            AgreementTemplate.objects.filter(pk=template.pk).update(
                published_at=when, created_at=when - timedelta(days=3)
            )
            template.refresh_from_db()
        made[key] = template
    return made


def _template_at(partner, when, templates) -> AgreementTemplate:
    if partner.partner_type == PartnerType.REFERRAL:
        return templates["referral"]
    return templates["v2"] if when >= templates["v2"].published_at else templates["v1"]


def _primary_contact(partner) -> PartnerContact | None:
    contacts = list(partner.contacts.all())
    primary = [c for c in contacts if c.role == ContactRole.PRIMARY]
    return (primary or contacts or [None])[0]


def _sign(partner, template, when, rng) -> AgreementSignature:
    """A signature written directly: history predates the current version, which the signing
    services (rightly) refuse."""
    admin = (
        Membership.objects.filter(partner_organization=partner, role="partner_admin")
        .select_related("user")
        .first()
    )
    contact = _primary_contact(partner)
    name = (admin.user.full_name if admin else "") or (contact.name if contact else partner.name)
    email = admin.user.email if admin else (contact.email if contact else "")
    return AgreementSignature.objects.create(
        tenant=require_current_tenant(),
        partner=partner,
        template=template,
        method=SignatureMethod.CLICK_THROUGH if admin else SignatureMethod.OFFLINE,
        text_signed=template.body,
        text_sha256=agreement_services.text_sha256(template.body),
        signer_name=name,
        signer_title=rng.choice(["CEO", "Managing Director", "VP Alliances", "COO"]),
        signer_email=email,
        signed_by=admin.user if admin else None,
        recorded_by=None if admin else partner.channel_manager,
        signed_at=when,
        created_at=when,
        ip_address=f"203.0.113.{rng.randint(2, 250)}" if admin else None,
        user_agent="Mozilla/5.0 (demo)" if admin else "",
    )


def _finished_run(
    partner, signature, *, invited: list[str], failed_at: str | None = None
) -> OnboardingRun:
    tenant = require_current_tenant()
    at = signature.signed_at
    run = OnboardingRun.objects.create(
        tenant=tenant,
        partner=partner,
        signature=signature,
        status=RunStatus.FAILED if failed_at else RunStatus.DONE,
        attempts=8 if failed_at else 1,
        last_error=("SMTPServerDisconnected: Connection unexpectedly closed" if failed_at else ""),
        created_at=at,
        started_at=at + timedelta(seconds=2),
        finished_at=None if failed_at else at + timedelta(seconds=9),
        updated_at=at + timedelta(hours=20 if failed_at else 0, seconds=9),
    )
    failed = False
    for index, key in enumerate(StepKey.values):
        failed = failed or key == failed_at
        OnboardingStep.objects.create(
            tenant=tenant,
            run=run,
            key=key,
            status=StepStatus.FAILED
            if key == failed_at
            else StepStatus.PENDING
            if failed
            else StepStatus.DONE,
            attempts=8 if key == failed_at else 0 if failed else 1,
            last_error=run.last_error if key == failed_at else "",
            detail={"invited": invited} if key == StepKey.INVITES else {},
            completed_at=None if failed else at + timedelta(seconds=3 + index),
            updated_at=at + timedelta(seconds=3 + index),
        )
    return run


def _log(
    partner,
    *,
    kind,
    key,
    to,
    subject,
    at,
    status=EmailStatus.SENT,
    step=None,
    reason="",
    body_text="",
    body_html="",
):
    row, _ = email_queue(
        partner=partner,
        kind=kind,
        idempotency_key=key,
        to=to,
        subject=subject,
        body_text=body_text or subject,
        body_html=body_html,
        cadence_step=step,
        status=status,
        reason=reason,
    )
    OutboundEmail.objects.filter(pk=row.pk).update(
        created_at=at,
        sent_at=at if status == EmailStatus.SENT else None,
        attempts=1 if status == EmailStatus.SENT else 0,
    )


def _mail_log(partner, run, cadence, *, reached: dict, until) -> None:
    """The welcome kit and the cadence mail due by `until`, sent or skipped as the workflow
    and the scheduler would have."""
    contact = _primary_contact(partner)
    if contact is None:
        return
    signed = run.signature.signed_at
    _log(
        partner,
        kind=EmailKind.WELCOME_KIT,
        key=f"welcome:{run.uuid}:{contact.email}",
        to=contact.email,
        subject=f"Your {partner.tenant.name} welcome kit: portal access and first steps",
        at=signed + timedelta(seconds=8),
    )
    # The cadence mail as the scheduler renders it (placeholders filled in, the tenant layout).
    values = cadence_values(tenant=partner.tenant, partner=partner)
    for step in cadence:
        due = signed + timedelta(days=step.day_offset, hours=1)
        if due > until:
            break
        condition_met = step.condition and reached.get(step.condition) is not None
        condition_met = condition_met and reached[step.condition] <= due
        mail = render_cadence(
            tenant=partner.tenant,
            subject=step.subject,
            body=step.body,
            # Greeted as the scheduler greets a person: by first name, past any honorific.
            values={**values, "first_name": User(full_name=contact.name).greeting_name or "there"},
        )
        _log(
            partner,
            kind=EmailKind.CADENCE,
            key=f"cadence:{step.uuid}:{contact.email}",
            to=contact.email,
            subject=mail.subject,
            body_text=mail.body_text,
            body_html=mail.body_html,
            at=due,
            step=step,
            status=EmailStatus.SKIPPED if condition_met else EmailStatus.SENT,
            reason=str(CadenceCondition(step.condition).label) if condition_met else "",
        )


def _contracted_at(partner) -> object:
    event = (
        LifecycleEvent.objects.filter(partner=partner, to_state=S.CONTRACTED)
        .order_by("created_at")
        .first()
    )
    return event.created_at if event else partner.created_at + timedelta(days=30)


# Partner id -> when its first deal is registered, per tenant id: the deal-registration demo
# registers it then (planned_first_deals), and the "first deal" milestone is read from that deal.
_FIRST_DEALS: dict[int, dict[int, datetime]] = {}


def planned_first_deals() -> dict[int, datetime]:
    """{partner id: submission time} of the first deals this demo planned for the current tenant
    (for the deal-registration demo, which registers them)."""
    return dict(_FIRST_DEALS.get(require_current_tenant().pk, {}))


def _invite_and_log_in(partner, signed_at, rng, *, login_after: float | None) -> dict:
    """The workflow's invitations, one step after the signature: to the partner's demo users
    (accepted at their first login, `login_after` days after signing) or, for a partner without
    users, to its primary contact (never accepted). Returns the times of the events written."""
    tenant = require_current_tenant()
    invited_at = signed_at + timedelta(seconds=4)
    members = list(
        Membership.objects.filter(partner_organization=partner, is_active=True)
        .select_related("user")
        .order_by("pk")
    )
    events: dict = {"invited": [], K.TEAM_INVITED: invited_at}
    if not members:
        contact = _primary_contact(partner)
        if contact is None or not contact.email:
            return {"invited": []}
        Invitation.objects.create(
            tenant=tenant,
            email=contact.email.lower(),
            role="partner_admin",
            partner_organization_id=partner.pk,
            created_at=invited_at,
            expires_at=invited_at + timedelta(days=14),
        )
        events["invited"] = [contact.email.lower()]
        return events
    first_login = signed_at + timedelta(days=login_after or 1)
    for position, member in enumerate(members):
        logged_in = first_login + timedelta(hours=7 * position)
        Invitation.objects.create(
            tenant=tenant,
            email=member.user.email,
            role=member.role,
            partner_organization_id=partner.pk,
            created_at=invited_at,
            expires_at=invited_at + timedelta(days=14),
            accepted_at=logged_in - timedelta(minutes=2),
            accepted_by=member.user,
        )
        # Their first login, and a later one.
        for at in (logged_in, logged_in + timedelta(days=rng.uniform(1, 9))):
            PortalLogin.objects.create(
                tenant=tenant, user=member.user, partner=partner, logged_in_at=at
            )
        events["invited"].append(member.user.email)
    events[K.FIRST_LOGIN] = first_login
    return events


def _finish_wizard(partner, at) -> datetime | None:
    """The partner's admin went through the setup wizard `at` (only when its profile is full:
    the wizard refuses to finish otherwise)."""
    if profile_missing_fields(partner):
        return None
    SetupWizardProgress.objects.create(
        tenant=require_current_tenant(),
        partner=partner,
        completed_steps=[step.slug for step in WIZARD_STEPS],
        completed_at=at,
        updated_at=at,
    )
    return at


def seed(tenant, *, staff) -> None:
    """Inside tenant_context(tenant). staff: role name -> User (admin, manager, ...)."""
    tenant = tenant or require_current_tenant()
    if AgreementTemplate.objects.exists():
        return
    rng = random.Random(f"onboarding-{tenant.slug}")
    now = timezone.now()
    admin_actor = actor_for_user(staff["admin"], tenant)
    templates = _templates(admin_actor, tenant.name)
    cadence_load_recommended(actor=admin_actor)
    cadence = list(CadenceStep.objects.filter(is_active=True).order_by("day_offset"))

    partners = list(
        PartnerOrganization.objects.filter(
            state__in=[S.CONTRACTED, S.ACTIVE, S.SUSPENDED]
        ).prefetch_related("contacts")
    )
    members = Membership.objects.filter(partner_organization__in=partners)
    users_of: dict[int, set[int]] = {}
    for user_id, org_id in members.values_list("user_id", "partner_organization_id"):
        users_of.setdefault(org_id, set()).add(user_id)
    orgs_with_users = set(users_of)
    trained_users = lms_selectors.foundation_completed_at(members.values_list("user_id", flat=True))
    first_deals: dict[int, datetime] = {}
    for index, partner in enumerate(partners):
        signed_at = _contracted_at(partner)
        signature = _sign(partner, _template_at(partner, signed_at, templates), signed_at, rng)
        has_users = partner.pk in orgs_with_users
        events = _invite_and_log_in(partner, signed_at, rng, login_after=rng.uniform(0.5, 4))
        run = _finished_run(
            partner,
            signature,
            invited=events.pop("invited"),
            failed_at=StepKey.WELCOME_KIT if index == 3 else None,
        )
        reached = {K.AGREEMENT_SIGNED: signed_at, **events}
        if has_users:
            # The partner admin finished the setup wizard a few days after their first login.
            done = _finish_wizard(partner, reached[K.FIRST_LOGIN] + timedelta(days=5))
            if done:
                reached[K.PROFILE_COMPLETE] = done
            # Their learning is the LMS demo's (Tailspin (acme) and Umbrella (globex), whose
            # users have not finished the 101, show deal registration locked); their deals are
            # the deal-registration demo's.
            trained = [
                at for uid, at in trained_users.items() if uid in users_of.get(partner.pk, ())
            ]
            if trained:
                reached[K.TRAINING_101] = min(trained)
            downloaded = asset_selectors.first_download_at([partner.pk]).get(partner.pk)
            if downloaded:
                reached[K.FIRST_ASSET] = downloaded
        elif index % 3 != 2:
            # Partners without portal users register through their channel manager: most did
            # within two months of signing; a third never did.
            planned = signed_at + timedelta(days=rng.uniform(7, 60))
            if planned < now - timedelta(days=1):
                first_deals[partner.pk] = planned
                reached[K.FIRST_DEAL] = planned
        if index != 3:
            _mail_log(partner, run, cadence, reached=reached, until=now)

    # The newest partners, spread over the onboarding steps.
    fresh = list(
        PartnerOrganization.objects.filter(state=S.APPROVED)
        .prefetch_related("contacts")
        .order_by("name")
    )
    for position, partner in enumerate(fresh[:4]):
        if position == 0:
            continue  # approved, agreement not signed yet
        if position == 1:
            # Signed today on paper: the real workflow runs (the worker picks it up).
            # Recorded by the partner's channel manager (the admin when it has none).
            actor = actor_for_user(partner.channel_manager or staff["admin"], tenant)
            contact = _primary_contact(partner)
            agreement_services.agreement_record_offline(
                actor=actor,
                partner=partner,
                template=_template_at(partner, now, templates),
                signer_name=contact.name if contact else "Alex Signer",
                signer_title="Managing Director",
                signer_email=contact.email if contact else "",
                signed_on=now.date(),
                contract=SimpleUploadedFile(
                    "signed-agreement.pdf", CONTRACT_PDF, content_type="application/pdf"
                ),
            )
            continue
        days_in = 8 if position == 2 else 21
        signed_at = now - timedelta(days=days_in, hours=3)
        signature = _sign(partner, _template_at(partner, signed_at, templates), signed_at, rng)
        partner_transition(actor=SYSTEM, partner=partner, to_state=S.CONTRACTED)
        partner_transition(actor=SYSTEM, partner=partner, to_state=S.ACTIVE)
        events = _invite_and_log_in(partner, signed_at, rng, login_after=1.2)
        run = _finished_run(partner, signature, invited=events.pop("invited"))
        reached = {K.AGREEMENT_SIGNED: signed_at, **events}
        if position == 3:
            first_deals[partner.pk] = reached[K.FIRST_DEAL] = signed_at + timedelta(days=16)
        _mail_log(partner, run, cadence, reached=reached, until=now)
        if position == 2:
            # A cadence mail the partner's server refused: visible in the console, not retried.
            contact = _primary_contact(partner)
            if contact is not None:
                row = OutboundEmail.objects.filter(
                    partner_uuid=partner.uuid, kind=EmailKind.CADENCE
                ).last()
                if row is not None:
                    OutboundEmail.objects.filter(pk=row.pk).update(
                        status=EmailStatus.GAVE_UP,
                        sent_at=None,
                        attempts=6,
                        last_error="550 5.1.1 Recipient address rejected: user unknown",
                        reason="Bounced",
                    )
    _FIRST_DEALS[tenant.pk] = first_deals


def record_milestones(tenant, *, staff) -> None:
    """After every area's demo: date each partner's milestones from the events the demos wrote
    (the first deals are registered by the deal-registration demo, after this one)."""
    milestones_refresh(PartnerOrganization.objects.values_list("pk", flat=True))
