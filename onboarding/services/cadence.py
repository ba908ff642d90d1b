"""The 30-day onboarding cadence: tenant-edited steps, rendered safely, sent on their day, once.

Tenant text never goes through the Django template engine: a step's subject and Markdown body get
a plain `{{ placeholder }}` substitution (values from partner/user data are escaped for Markdown
and HTML), then Markdown → HTML, then nh3's allow-list (the same as the rules of engagement).

The sweep `cadence_send_due` runs every 15 minutes per tenant. For every onboarding run, every
active step whose day has come (whole days since the signature, within GRACE_DAYS so a step added
today does not go to partners who signed months ago) and every recipient of the step's audience,
it creates the mail once under the key ``cadence:<step uuid>:<email>``: SKIPPED when the step's
condition is already met, UNSUBSCRIBED when the address opted out, else queued and sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.models import LifecycleState, PartnerOrganization
from tenancy import access
from tenancy import unsubscribe as tenancy_unsubscribe
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.common import placeholders
from tenancy.common.markdown import markdown_to_safe_html
from tenancy.context import require_current_tenant
from tenancy.emails import person_address
from tenancy.hosts import tenant_base_url
from tenancy.roles import Role

from ..models import (
    CadenceCondition,
    CadenceSender,
    CadenceStep,
    EmailKind,
    EmailStatus,
    EmailUnsubscribe,
    OnboardingRun,
)
from ..models.cadence import CadenceAudience
from .mail import email_queue

GRACE_DAYS = 7
UNSUBSCRIBE_SALT = "prm.onboarding.unsubscribe"
STEP_FIELDS = ["day_offset", "subject", "body", "condition", "sender", "audience", "is_active"]

PLACEHOLDERS = (
    "partner_name",
    "first_name",
    "manager_name",
    "manager_email",
    "program_name",
    "portal_url",
    "course_101_url",
)
PLACEHOLDER_LABELS = {
    "partner_name": gettext_lazy("Partner name"),
    "first_name": gettext_lazy("First name"),
    "manager_name": gettext_lazy("Channel manager"),
    "manager_email": gettext_lazy("Channel manager's email"),
    "program_name": gettext_lazy("Program name"),
    "portal_url": gettext_lazy("Portal link"),
    "course_101_url": gettext_lazy("Partner 101 link"),
}
# Ours (built from reverse() and validated addresses): inserted as they are, so links work.
_RAW_PLACEHOLDERS = frozenset({"manager_email", "portal_url", "course_101_url"})


# --- Rendering ----------------------------------------------------------------------------------


def substitute(text: str, values: dict[str, str], *, for_markdown: bool = False) -> str:
    """Replace known {{ placeholders }}; unknown ones stay as typed (the preview shows them)."""
    return placeholders.substitute(text, values, for_markdown=for_markdown, raw=_RAW_PLACEHOLDERS)


def merge_fields_text(text: str) -> str:
    """`text` with each known {{ placeholder }} as its name in brackets: "the [Program name]"."""
    return placeholders.merge_fields_text(text, PLACEHOLDER_LABELS)


def merge_fields_html(text: str) -> str:
    """`text` for a page that lists steps: escaped, each {{ placeholder }} shown as a chip with
    its human name ("Getting started with the [Program name]"), the code in its tooltip."""
    return placeholders.merge_fields_html(text, PLACEHOLDER_LABELS)


@dataclass(frozen=True)
class RenderedCadenceMail:
    subject: str
    body_text: str
    body_html: str  # the whole HTML message (tenant layout), sanitised body inside
    body_fragment: str  # the sanitised body alone (console preview)


def cadence_values(*, tenant, partner, user=None, links=None) -> dict[str, str]:
    from ..selectors.workflow import partner_links

    links = links or partner_links(tenant)
    manager = getattr(partner, "channel_manager", None) if partner.pk else None
    first_name = user.greeting_name if user is not None else ""
    program_name = _("%(tenant)s partner program") % {"tenant": tenant.name}
    return {
        "partner_name": partner.name,
        "first_name": first_name or _("there"),
        "manager_name": (manager.full_name or manager.email)
        if manager
        else _("the %(tenant)s partner team") % {"tenant": tenant.name},
        "manager_email": manager.email if manager else (tenant.support_email or ""),
        "program_name": program_name,
        "portal_url": links.portal_url,
        "course_101_url": links.course_101_url or links.portal_url,
    }


def render_cadence(
    *, tenant, subject: str, body: str, values: dict[str, str], unsubscribe_url: str = ""
) -> RenderedCadenceMail:
    rendered_subject = " ".join(substitute(subject, values).split())
    text = substitute(body, values)
    fragment = str(markdown_to_safe_html(substitute(body, values, for_markdown=True)))
    context = {
        "tenant": tenant,
        "subject": rendered_subject,
        "body_html": fragment,
        "body_text": text,
        "unsubscribe_url": unsubscribe_url,
    }
    return RenderedCadenceMail(
        subject=rendered_subject,
        body_text=render_to_string("emails/onboarding/cadence.txt", context),
        body_html=render_to_string("emails/onboarding/cadence.html", context),
        body_fragment=fragment,
    )


# --- Unsubscribe --------------------------------------------------------------------------------


def unsubscribe_token(*, tenant, email: str) -> str:
    return tenancy_unsubscribe.unsubscribe_token(tenant=tenant, email=email, salt=UNSUBSCRIBE_SALT)


def unsubscribe_url(*, tenant, email: str) -> str:
    token = unsubscribe_token(tenant=tenant, email=email)
    return tenant_base_url(tenant) + reverse(
        "onboarding_unsubscribe", kwargs={"unsubscribe_token": token}
    )


UnsubscribeTokenOfAnotherTenant = tenancy_unsubscribe.UnsubscribeTokenOfAnotherTenant


def email_from_unsubscribe_token(token: str) -> str:
    """The address behind a token of the current tenant. ValidationError for a bad token,
    UnsubscribeTokenOfAnotherTenant for a genuine one of another tenant."""
    email, _scope = tenancy_unsubscribe.unsubscribe_read(token, salt=UNSUBSCRIBE_SALT)
    return email


@transaction.atomic
def unsubscribe(*, email: str) -> EmailUnsubscribe:
    """Record that an address wants no more cadence mail from this tenant (idempotent)."""
    row, _created = EmailUnsubscribe.objects.get_or_create(
        tenant=require_current_tenant(), email=email.lower()
    )
    return row


# --- Editing the steps --------------------------------------------------------------------------


def _require_manage(actor: Actor) -> None:
    access.require(actor, Perm.PROGRAM_MANAGE)


def _validate(step: CadenceStep) -> None:
    step.full_clean(exclude=["tenant"])
    unknown = placeholders.unknown_placeholders([step.subject, step.body], PLACEHOLDERS)
    if unknown:
        raise ValidationError(
            {
                "body": _("Unknown placeholder(s): %(names)s. Use: %(known)s.")
                % {
                    "names": ", ".join(sorted(unknown)),
                    "known": ", ".join("{{ " + p + " }}" for p in PLACEHOLDERS),
                }
            }
        )


@transaction.atomic
def cadence_step_create(*, actor: Actor, **data: Any) -> CadenceStep:
    _require_manage(actor)
    step = CadenceStep(tenant=require_current_tenant())
    for name in STEP_FIELDS:
        if name in data:
            setattr(step, name, data[name])
    _validate(step)
    step.save()
    audit_record(
        actor=actor,
        action="onboarding.cadence_step_created",
        target=step,
        changes={"day": step.day_offset, "subject": step.subject},
    )
    return step


@transaction.atomic
def cadence_step_update(*, actor: Actor, step: CadenceStep, **data: Any) -> CadenceStep:
    _require_manage(actor)
    changes = {}
    for name in STEP_FIELDS:
        if name in data and getattr(step, name) != data[name]:
            changes[name] = [getattr(step, name), data[name]]
            setattr(step, name, data[name])
    _validate(step)
    step.save()
    if changes:
        audit_record(
            actor=actor,
            action="onboarding.cadence_step_updated",
            target=step,
            changes={k: v for k, v in changes.items() if k != "body"},
        )
    return step


@transaction.atomic
def cadence_step_delete(*, actor: Actor, step: CadenceStep) -> None:
    _require_manage(actor)
    audit_record(
        actor=actor,
        action="onboarding.cadence_step_deleted",
        target=step,
        changes={"day": step.day_offset, "subject": step.subject},
    )
    step.delete()  # its sent mail stays in the log (cadence_step is set to NULL)


RECOMMENDED_CADENCE: list[dict[str, Any]] = [
    {
        "day_offset": 0,
        "subject": "Getting started with the {{ program_name }}",
        "condition": CadenceCondition.ALWAYS,
        "sender": CadenceSender.PROGRAM,
        "audience": CadenceAudience.ALL_USERS,
        "body": (
            "Hi {{ first_name }},\n\n"
            "Welcome aboard! Three tips for your first week:\n\n"
            "1. Bookmark the [partner portal]({{ portal_url }}): deals, assets and training live "
            "there.\n"
            "2. Start the [101 course]({{ course_101_url }}): it unlocks deal registration.\n"
            "3. Invite your colleagues from the portal's team page.\n\n"
            "Questions? Just reply to this email."
        ),
    },
    {
        "day_offset": 2,
        "subject": "Meet your partner manager, {{ manager_name }}",
        "condition": CadenceCondition.ALWAYS,
        "sender": CadenceSender.CHANNEL_MANAGER,
        "audience": CadenceAudience.ADMINS,
        "body": (
            "Hi {{ first_name }},\n\n"
            "I'm {{ manager_name }}, the partner manager for {{ partner_name }}. I'm here to help "
            "you win your first deals with us.\n\n"
            "Shall we book 30 minutes to go through your plans? Reply to this email or write to "
            "{{ manager_email }}.\n\n"
            "{{ manager_name }}"
        ),
    },
    {
        "day_offset": 5,
        "subject": "Finish your 101 course",
        "condition": CadenceCondition.TRAINING_101_DONE,
        "sender": CadenceSender.PROGRAM,
        "audience": CadenceAudience.ALL_USERS,
        "body": (
            "Hi {{ first_name }},\n\n"
            "The 101 course takes about an hour and unlocks deal registration for "
            "{{ partner_name }}.\n\n"
            "[Continue the 101 course]({{ course_101_url }})"
        ),
    },
    {
        "day_offset": 10,
        "subject": "Complete the {{ partner_name }} profile",
        "condition": CadenceCondition.PROFILE_COMPLETE,
        "sender": CadenceSender.PROGRAM,
        "audience": CadenceAudience.ADMINS,
        "body": (
            "Hi {{ first_name }},\n\n"
            "A complete profile (regions, industries, skills) lets us send you the right leads "
            "and content. It takes five minutes in the [portal]({{ portal_url }})."
        ),
    },
    {
        "day_offset": 14,
        "subject": "Our top sales assets for you",
        "condition": CadenceCondition.FIRST_ASSET,
        "sender": CadenceSender.PROGRAM,
        "audience": CadenceAudience.ALL_USERS,
        "body": (
            "Hi {{ first_name }},\n\n"
            "Pitch decks, battle cards and co-branded one-pagers are ready for you in the asset "
            "library of the [partner portal]({{ portal_url }})."
        ),
    },
    {
        "day_offset": 21,
        "subject": "Register your first deal",
        "condition": CadenceCondition.FIRST_DEAL,
        "sender": CadenceSender.CHANNEL_MANAGER,
        "audience": CadenceAudience.ALL_USERS,
        "body": (
            "Hi {{ first_name }},\n\n"
            "Working on an opportunity? Register it in the [portal]({{ portal_url }}) to protect "
            "it under the rules of engagement. I'll help you close it.\n\n"
            "{{ manager_name }}"
        ),
    },
    {
        "day_offset": 30,
        "subject": "Your first month with the {{ program_name }}",
        "condition": CadenceCondition.ALWAYS,
        "sender": CadenceSender.CHANNEL_MANAGER,
        "audience": CadenceAudience.ADMINS,
        "body": (
            "Hi {{ first_name }},\n\n"
            "It's been a month since {{ partner_name }} joined. How is it going? Reply with "
            "anything that would help you sell more, and let's plan the next quarter together.\n\n"
            "{{ manager_name }}"
        ),
    },
]


@transaction.atomic
def cadence_load_recommended(*, actor: Actor) -> int:
    """Add the recommended 30-day series; steps already there (same day and subject) are kept.
    Returns how many steps were added."""
    _require_manage(actor)
    existing = set(CadenceStep.objects.values_list("day_offset", "subject"))
    added = 0
    for data in RECOMMENDED_CADENCE:
        if (data["day_offset"], data["subject"]) in existing:
            continue
        cadence_step_create(actor=actor, **data)
        added += 1
    return added


# --- Preview ------------------------------------------------------------------------------------


def sample_partner() -> PartnerOrganization:
    """A partner to preview with: one that is onboarding, else any, else an unsaved example."""
    run = OnboardingRun.objects.select_related("partner__channel_manager").order_by("-id").first()
    if run is not None:
        return run.partner
    partner = PartnerOrganization.objects.select_related("channel_manager").first()
    return partner or PartnerOrganization(name=_("Example Partner"))


def cadence_preview(*, subject: str, body: str, partner=None) -> RenderedCadenceMail:
    tenant = require_current_tenant()
    partner = partner or sample_partner()
    user = None
    if partner.pk:
        from tenancy.models import Membership

        membership = (
            Membership.objects.filter(partner_organization=partner, is_active=True)
            .select_related("user")
            .order_by("id")
            .first()
        )
        user = membership.user if membership else None
    values = cadence_values(tenant=tenant, partner=partner, user=user)
    return render_cadence(
        tenant=tenant,
        subject=subject,
        body=body,
        values=values,
        unsubscribe_url=tenant_base_url(tenant) + "/onboarding/unsubscribe/…/",
    )


# --- Sending ------------------------------------------------------------------------------------


def _skip_reason(condition: str) -> str:
    return _("Skipped: %(condition)s.") % {
        "condition": str(CadenceCondition(condition).label).lower()
    }


def cadence_send_due(*, now=None) -> int:
    """Create (and send) the cadence mail that is due in the current tenant. Safe to run any
    number of times: each (step, address) gets one row. Returns how many rows were created."""
    from tenancy.models import Membership, OutboundEmail

    from ..selectors.workflow import partner_links
    from .progress import partner_milestones

    now = now or timezone.now()
    tenant = require_current_tenant()
    steps = list(CadenceStep.objects.filter(is_active=True).order_by("day_offset", "id"))
    if not steps:
        return 0
    horizon = now - timedelta(days=max(s.day_offset for s in steps) + GRACE_DAYS + 1)
    runs = list(
        OnboardingRun.objects.filter(signature__signed_at__gte=horizon, partner__is_active=True)
        .exclude(partner__state__in=[LifecycleState.SUSPENDED, LifecycleState.RETIRED])
        .select_related("partner", "partner__channel_manager", "signature")
    )
    if not runs:
        return 0
    partner_ids = [run.partner_id for run in runs]
    members: dict[int, list] = {}
    for membership in Membership.objects.filter(
        partner_organization_id__in=partner_ids, is_active=True
    ).select_related("user"):
        members.setdefault(membership.partner_organization_id, []).append(membership)
    existing = set(
        OutboundEmail.objects.filter(
            kind=EmailKind.CADENCE, partner_uuid__in=[run.partner.uuid for run in runs]
        ).values_list("idempotency_key", flat=True)
    )
    addresses = {m.user.email.lower() for ms in members.values() for m in ms}
    unsubscribed = set(
        EmailUnsubscribe.objects.filter(email__in=addresses).values_list("email", flat=True)
    )
    links = partner_links(tenant)
    created = 0
    for run in runs:
        days = (now - run.signature.signed_at).days
        due = [s for s in steps if s.day_offset <= days <= s.day_offset + GRACE_DAYS]
        if not due:
            continue
        partner = run.partner
        milestones = None
        for step in due:
            for membership in members.get(partner.pk, []):
                if (
                    step.audience == CadenceAudience.ADMINS
                    and membership.role != Role.PARTNER_ADMIN
                ):
                    continue
                email = membership.user.email.lower()
                key = f"cadence:{step.uuid}:{email}"
                if key in existing:
                    continue
                if step.condition and milestones is None:
                    milestones = partner_milestones(partner)
                _queue_one(
                    tenant=tenant,
                    step=step,
                    partner=partner,
                    user=membership.user,
                    email=email,
                    key=key,
                    links=links,
                    condition_met=bool(step.condition) and step.condition in (milestones or {}),
                    unsubscribed=email in unsubscribed,
                )
                existing.add(key)
                created += 1
    return created


@transaction.atomic
def _queue_one(
    *, tenant, step, partner, user, email, key, links, condition_met, unsubscribed
) -> None:
    values = cadence_values(tenant=tenant, partner=partner, user=user, links=links)
    # From is always the program's own address (SPF/DMARC); the manager is who the reader answers.
    manager = partner.channel_manager
    if step.sender == CadenceSender.CHANNEL_MANAGER and manager is not None:
        reply_to = person_address(manager)
    else:
        reply_to = tenant.support_email or ""
    common = {
        "partner": partner,
        "kind": EmailKind.CADENCE,
        "idempotency_key": key,
        "to": email,
        "recipient": user,
        "cadence_step": step,
        "reply_to": reply_to,
        "url": reverse("portal_home"),
    }
    if condition_met or unsubscribed:
        email_queue(
            **common,
            subject=" ".join(substitute(step.subject, values).split()),
            body_text="",
            status=EmailStatus.SKIPPED if condition_met else EmailStatus.UNSUBSCRIBED,
            reason=_skip_reason(step.condition)
            if condition_met
            else _("The recipient unsubscribed."),
        )
        return
    link = unsubscribe_url(tenant=tenant, email=email)
    rendered = render_cadence(
        tenant=tenant, subject=step.subject, body=step.body, values=values, unsubscribe_url=link
    )
    email_queue(
        **common,
        subject=rendered.subject,
        body_text=rendered.body_text,
        body_html=rendered.body_html,
        headers={
            "List-Unsubscribe": f"<{link}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
