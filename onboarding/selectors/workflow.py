"""Reads for the onboarding workflow: runs and their steps, the mail log, and the links the
welcome kit and the cadence put in front of partners."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from enablement.lms import selectors as lms_selectors
from tenancy import access, emails
from tenancy.access import Actor
from tenancy.hosts import tenant_base_url
from tenancy.models import OutboundEmail, Tenant

from ..models import EmailKind, OnboardingRun, OnboardingStep, RunStatus, StepStatus


def runs_for(actor: Actor) -> QuerySet[OnboardingRun]:
    """Runs of the partners the actor may see, with partner, manager and steps loaded."""
    qs = OnboardingRun.objects.select_related(
        "partner", "partner__channel_manager", "signature", "signature__template"
    ).prefetch_related(Prefetch("steps", queryset=OnboardingStep.objects.order_by("id")))
    return access.scope_partner_owned(actor, qs)


def failed_steps(actor: Actor) -> QuerySet[OnboardingStep]:
    """Failed steps of the runs the actor may see, oldest run first, with run and partner."""
    return (
        OnboardingStep.objects.filter(status=StepStatus.FAILED)
        .filter(run__in=access.scope_partner_owned(actor, OnboardingRun.objects.all()))
        .select_related("run", "run__partner")
        .order_by("run__created_at", "id")
    )


def detail_rows(detail: dict) -> list[tuple[str, list[str]]]:
    """A step's JSON detail as (label, lines) for the console, in words (tenancy.audit's labels:
    "Sign-in link: Portal login", never "link: login")."""
    from tenancy.audit import describe_value, field_label

    def item_text(item, key: str) -> str:
        if isinstance(item, dict):
            return ", ".join(
                f"{field_label(k)}: {describe_value(v, k)}"
                for k, v in item.items()
                if k != "invitation"  # a credential's id, not for people
            )
        return describe_value(item, key)

    rows = []
    for key, value in (detail or {}).items():
        if isinstance(value, list):
            lines = [item_text(item, key) for item in value]
        elif isinstance(value, dict):
            lines = [f"{field_label(k)}: {describe_value(v, k)}" for k, v in value.items()]
        else:
            lines = [describe_value(value, key)]
        rows.append((field_label(key), lines))
    return rows


def problem_emails(actor: Actor) -> QuerySet[OutboundEmail]:
    """Onboarding mail a person has to look at (failed, gave up, or maybe gone out)."""
    return emails.problem_emails(actor).filter(kind__in=[EmailKind.WELCOME_KIT, EmailKind.CADENCE])


def partner_emails(partner) -> QuerySet[OutboundEmail]:
    """Every mail about one partner (onboarding and any other app), newest first."""
    return emails.partner_emails(partner.uuid)


def with_partners(rows: list) -> list:
    """Put `partner` (or None) on mail rows, from their partner_uuid, in one query."""
    from partners.models import PartnerOrganization

    uuids = {row.partner_uuid for row in rows if row.partner_uuid}
    partners = {p.uuid: p for p in PartnerOrganization.objects.filter(uuid__in=uuids)}
    for row in rows:
        row.partner = partners.get(row.partner_uuid)
    return rows


def cadence_days(rows) -> None:
    """Put `cadence_day` (the step's day offset, when it still exists) on cadence rows."""
    from ..models import CadenceStep

    uuids = {row.source_uuid for row in rows if row.source_uuid}
    days = dict(CadenceStep.objects.filter(uuid__in=uuids).values_list("uuid", "day_offset"))
    for row in rows:
        row.cadence_day = days.get(row.source_uuid)


def foundation_course():
    """The published 101 course and its first module (either may be None)."""
    return lms_selectors.foundation_course()


@dataclass(frozen=True)
class PartnerLinks:
    portal_url: str
    course_101_url: str  # "" when the tenant has no published 101 course
    course_101_title: str
    roe_url: str


def partner_links(tenant) -> PartnerLinks:
    """Absolute links into the tenant's portal for mail: the portal, the first module of the
    101 course (the course page when it has no module yet) and the public rules of engagement."""
    base = tenant_base_url(tenant)
    course, module = foundation_course()
    course_url = ""
    if course is not None and module is not None:
        course_url = base + reverse(
            "portal_module", kwargs={"course_uuid": course.uuid, "module_uuid": module.uuid}
        )
    elif course is not None:
        course_url = base + reverse("portal_course", kwargs={"course_uuid": course.uuid})
    return PartnerLinks(
        portal_url=base + reverse("portal_home"),
        course_101_url=course_url,
        course_101_title=course.title if course is not None else "",
        roe_url=base + reverse("public_roe"),
    )


# --- Beat: which tenants have due work (platform-wide, hence unscoped) ------------------------


def tenants_with_retry_due(now=None) -> set[int]:
    """Active tenants with a failed run whose retry is due, or a run left waiting too long (a lost
    worker): exactly what `retry_due` re-enqueues. One query, an EXISTS probe per tenant on the
    tenant-first status indexes. (Mail is retried by the mail outbox's own sweep, which finds due
    rows across tenants in one query: tenancy.tasks.sweep_mail_outbox.)"""
    from ..services.workflow import RUN_STALE_AFTER

    now = now or timezone.now()
    runs = OnboardingRun.objects.unscoped().filter(tenant=OuterRef("pk"))
    return set(
        Tenant.objects.filter(is_active=True)
        .filter(
            Q(Exists(runs.filter(status=RunStatus.FAILED, next_attempt_at__lte=now)))
            | Q(
                Exists(
                    runs.filter(
                        status__in=[RunStatus.PENDING, RunStatus.RUNNING],
                        updated_at__lt=now - RUN_STALE_AFTER,
                    )
                )
            )
        )
        .values_list("pk", flat=True)
    )
