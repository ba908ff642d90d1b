"""Approval routing: who decides a registration, and the program team's routing rules.

`route()` picks the first active RoutingRule (by position) that matches the registration's region,
customer country and value; its approver decides, or the program queue when it names none. With no
matching rule the partner's channel manager decides, or the queue when the partner has none.

Value bounds are in the program currency: a registration in another currency is converted with
the program's exchange rates (partners/services/currency.py). Without a rate for its currency a
registration matches no rule that has value bounds (rules without bounds still apply).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries as django_countries

from partners.models import Region
from partners.services.currency import convert
from partners.services.tiers import program_settings
from tenancy import access
from tenancy.access import Actor, Perm
from tenancy.audit import audit_record
from tenancy.context import require_current_tenant
from tenancy.emails import email_enqueue, mail_kind, person_address
from tenancy.models import Membership
from tenancy.notifications import notify
from tenancy.roles import Role

from ..models import DealRegistration, DealRules, RoutingRule
from .rules import amount_message, deal_rules, rule_amount
from .sla import sla_due_at

APPROVER_ROLES = (Role.CHANNEL_MANAGER, Role.PROGRAM_ADMIN)
logger = logging.getLogger(__name__)
RULE_FIELDS = ("name", "region", "countries", "min_value", "max_value", "approver", "is_active")


def _is_approver(user) -> bool:
    """An active channel manager or program admin of the current tenant."""
    if user is None:
        return False
    return Membership.objects.filter(user=user, is_active=True, role__in=APPROVER_ROLES).exists()


def rule_matches(rule: RoutingRule, registration: DealRegistration, value: Decimal | None) -> bool:
    """`value`: the registration's value in the program currency (None: unknown)."""
    if rule.region and rule.region != registration.region:
        return False
    countries = {str(c).upper() for c in (rule.countries or [])}
    if countries and str(registration.customer_country or "").upper() not in countries:
        return False
    if rule.min_value is not None and (value is None or value < rule.min_value):
        return False
    return rule.max_value is None or (value is not None and value <= rule.max_value)


def route(registration: DealRegistration):
    """(approver or None = program queue, the matching rule or None)."""
    rules = list(
        RoutingRule.objects.filter(is_active=True)
        .select_related("approver")
        .order_by("position", "id")
    )
    value = None
    if any(rule.min_value is not None or rule.max_value is not None for rule in rules):
        # Only bounded rules need the value in the program currency (and its rates).
        value = convert(
            registration.estimated_value, registration.currency, program_settings().currency
        )
    for rule in rules:
        if rule_matches(rule, registration, value):
            approver = rule.approver if _is_approver(rule.approver) else None
            return approver, rule
    manager = registration.partner.channel_manager
    return (manager if _is_approver(manager) else None), None


def route_assign(
    *, registration: DealRegistration, rules: DealRules | None = None, save: bool = True
) -> DealRegistration:
    """Set the approver, the matched rule and the SLA due time (from `submitted_at`, else now).
    Called at submission; saves the three fields unless `save=False`."""
    from django.utils import timezone

    rules = rules or deal_rules()
    approver, rule = route(registration)
    registration.assigned_to = approver
    registration.routing_rule = rule
    registration.sla_due_at = sla_due_at(registration.submitted_at or timezone.now(), rules)
    if save:
        registration.save(update_fields=["assigned_to", "routing_rule", "sla_due_at"])
    return registration


# --- The rules (console / API) ----------------------------------------------------------------


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    unknown = set(data) - set(RULE_FIELDS)
    if unknown:
        raise ValidationError(_("Unknown fields: %s") % ", ".join(sorted(unknown)))
    errors: dict[str, str] = {}
    cleaned = dict(data)
    if "name" in cleaned:
        cleaned["name"] = str(cleaned["name"] or "").strip()
        if not cleaned["name"]:
            errors["name"] = _("Name the rule.")
    if "region" in cleaned:
        cleaned["region"] = cleaned["region"] or ""
        if cleaned["region"] and cleaned["region"] not in Region.values:
            errors["region"] = _("Choose a region from the list.")
    if "countries" in cleaned:
        countries = cleaned["countries"] or []
        if isinstance(countries, str):
            countries = countries.replace(";", ",").split(",")
        countries = sorted({str(c).strip().upper() for c in countries if str(c).strip()})
        unknown = [c for c in countries if c not in django_countries]
        if unknown:
            errors["countries"] = _("Not country codes: %(codes)s. Use codes such as US, DE.") % {
                "codes": ", ".join(unknown)
            }
        elif cleaned.get("region") and countries:
            # The region follows from the country (the rules' map): a rule naming a region and
            # countries outside it could never match.
            rules = deal_rules()
            outside = [c for c in countries if rules.region_of(c) != cleaned["region"]]
            if outside:
                errors["countries"] = _(
                    "Not in %(region)s under the program's rules: %(countries)s."
                ) % {
                    "region": Region(cleaned["region"]).label,
                    "countries": ", ".join(django_countries.name(c) for c in outside),
                }
        cleaned["countries"] = countries
    for name in ("min_value", "max_value"):
        if name in cleaned and cleaned[name] not in (None, ""):
            value = rule_amount(cleaned[name])
            if value is None:
                errors[name] = amount_message()
            cleaned[name] = value
        elif name in cleaned:
            cleaned[name] = None
    if cleaned.get("approver") is not None and not _is_approver(cleaned["approver"]):
        errors["approver"] = _(
            "The approver must be an active channel manager or program admin of this program."
        )
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_range(rule: RoutingRule) -> None:
    if (
        rule.min_value is not None
        and rule.max_value is not None
        and rule.min_value > rule.max_value
    ):
        raise ValidationError({"max_value": _("The upper bound is below the lower bound.")})


def _snapshot(rule: RoutingRule) -> dict[str, Any]:
    return {
        "name": rule.name,
        "region": rule.region,
        "countries": rule.countries,
        "min_value": str(rule.min_value) if rule.min_value is not None else None,
        "max_value": str(rule.max_value) if rule.max_value is not None else None,
        "approver": rule.approver.email if rule.approver_id else None,
        "is_active": rule.is_active,
        "position": rule.position,
    }


@transaction.atomic
def routing_rule_create(*, actor: Actor, **data: Any) -> RoutingRule:
    access.require(actor, Perm.PROGRAM_MANAGE)
    cleaned = _clean({"name": "", **data})
    last = RoutingRule.objects.aggregate(last=Max("position"))["last"]
    rule = RoutingRule(
        tenant=require_current_tenant(), position=0 if last is None else last + 1, **cleaned
    )
    _check_range(rule)
    rule.save()
    audit_record(actor=actor, action="deal_routing.created", target=rule, changes=_snapshot(rule))
    return rule


@transaction.atomic
def routing_rule_update(*, actor: Actor, rule: RoutingRule, **data: Any) -> RoutingRule:
    access.require(actor, Perm.PROGRAM_MANAGE)
    cleaned = _clean(data)
    rule = RoutingRule.objects.select_for_update().get(pk=rule.pk)
    before = _snapshot(rule)
    for name, value in cleaned.items():
        setattr(rule, name, value)
    _check_range(rule)
    rule.save()
    after = _snapshot(rule)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if changes:
        audit_record(actor=actor, action="deal_routing.updated", target=rule, changes=changes)
    return rule


@transaction.atomic
def routing_rule_delete(*, actor: Actor, rule: RoutingRule) -> None:
    access.require(actor, Perm.PROGRAM_MANAGE)
    audit_record(actor=actor, action="deal_routing.deleted", target=rule, changes=_snapshot(rule))
    rule.delete()


@transaction.atomic
def routing_rule_move(*, actor: Actor, rule: RoutingRule, direction: str) -> RoutingRule:
    """Move a rule one place "up" (earlier) or "down"; positions are renumbered 0..n-1."""
    access.require(actor, Perm.PROGRAM_MANAGE)
    if direction not in ("up", "down"):
        raise ValidationError(_("Move a rule up or down."))
    rules = list(RoutingRule.objects.select_for_update().order_by("position", "id"))
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    target = index - 1 if direction == "up" else index + 1
    if 0 <= target < len(rules):
        rules[index], rules[target] = rules[target], rules[index]
    for position, item in enumerate(rules):
        if item.position != position:
            item.position = position
            item.save(update_fields=["position"])
    moved = rules[target] if 0 <= target < len(rules) else rules[index]
    audit_record(
        actor=actor,
        action="deal_routing.moved",
        target=moved,
        changes={"direction": direction, "position": moved.position},
    )
    return moved


# --- Who is told (the sweeps and extensions mail these people) --------------------------------


def program_admin_emails() -> list[str]:
    return sorted(
        Membership.objects.filter(role=Role.PROGRAM_ADMIN, is_active=True).values_list(
            "user__email", flat=True
        )
    )


def approver_emails(registration: DealRegistration) -> list[str]:
    """The registration's approver, or every program admin while it sits in the queue."""
    if registration.assigned_to_id and _is_approver(registration.assigned_to):
        return [registration.assigned_to.email]
    return program_admin_emails()


def partner_emails(registration: DealRegistration, *extra) -> list[str]:
    """The submitter (and `extra` users) plus the partner's active admins."""
    emails = {
        user.email
        for user in (registration.submitted_by, *extra)
        if user is not None and user.is_active
    }
    emails.update(
        Membership.objects.filter(
            role=Role.PARTNER_ADMIN,
            is_active=True,
            partner_organization_id=registration.partner_id,
        ).values_list("user__email", flat=True)
    )
    return sorted(e for e in emails if e)


def deal_url(registration: DealRegistration, *, console: bool) -> str:
    """Absolute link to the registration's page (its list until the detail page exists)."""
    from django.urls import NoReverseMatch, reverse

    from tenancy.hosts import tenant_base_url

    name, fallback = (
        ("console_deal_detail", "console_deals")
        if console
        else ("portal_deal_detail", "portal_deals")
    )
    try:
        path = reverse(name, kwargs={"deal_uuid": registration.uuid})
    except NoReverseMatch:
        path = reverse(fallback)
    return tenant_base_url(require_current_tenant()) + path


# What deal registration mails, by template (emails/dealreg/<template>.txt/.html).
DEAL_MAIL_KINDS = {
    template: mail_kind(f"dealreg.{template}", label)
    for template, label in {
        "decision": gettext_lazy("Deal registration decided"),
        "dispute_update": gettext_lazy("Account dispute"),
        "expiry_warning": gettext_lazy("Deal registration expires soon"),
        "expiry_expired": gettext_lazy("Deal registration expired"),
        "extension_requested": gettext_lazy("Extension requested"),
        "extension_decided": gettext_lazy("Extension decided"),
        "sla_reminder": gettext_lazy("Decision reminder"),
        "sla_escalated": gettext_lazy("Decision overdue (escalated)"),
        "direct_registered": gettext_lazy("Partner registered on your account"),
        "direct_locked": gettext_lazy("Partner holds your account (lock approved)"),
    }.items()
}


def deal_mail_queue(
    *,
    template: str,
    subject: str,
    to: list[str],
    context: dict,
    registration: DealRegistration | None = None,
    source_uuid=None,
) -> None:
    """Render now (inside the tenant) and write each recipient's copy into the mail outbox in
    the current transaction: a rolled-back claim never mails, a committed one is delivered by
    the worker, at most once, retried while SMTP refuses. Reply-To is the partner's channel
    manager."""
    from django.template.loader import render_to_string

    if not to:
        return
    registration = registration or context.get("deal")
    context = {"tenant": require_current_tenant(), **context}
    text = render_to_string(f"emails/dealreg/{template}.txt", context)
    html = render_to_string(f"emails/dealreg/{template}.html", context)
    partner = registration.partner if registration is not None else None
    manager = partner.channel_manager if partner is not None else None
    addresses = sorted({address.lower() for address in to})
    # Members are told through notify() (their channel: mail, in the app, or both).
    members = {
        m.user.email.lower(): m.user
        for m in Membership.objects.filter(
            user__email__in=addresses, is_active=True
        ).select_related("user")
    }
    fields = {
        "kind": DEAL_MAIL_KINDS[template],
        "subject": subject,
        "body_text": text,
        "body_html": html,
        "reply_to": person_address(manager),
        "partner_uuid": partner.uuid if partner is not None else None,
        "source_uuid": source_uuid or (registration.uuid if registration is not None else None),
    }
    for address in addresses:
        user = members.get(address)
        if user is not None:
            notify(user=user, url=context.get("url", ""), **fields)
        else:
            email_enqueue(to=address, **fields)


# --- Digests: what a sweep tells each person, once per run ---------------------------------------


def partner_recipients(registrations) -> dict[int, set[int]]:
    """Registration id -> user ids `partner_emails` would mail (the submitter and the partner's
    active admins), for many registrations in one query."""
    partner_ids = {r.partner_id for r in registrations}
    admins: dict[int, set[int]] = {}
    for partner_id, user_id in Membership.objects.filter(
        role=Role.PARTNER_ADMIN, is_active=True, partner_organization_id__in=partner_ids
    ).values_list("partner_organization_id", "user_id"):
        admins.setdefault(partner_id, set()).add(user_id)
    return {
        r.pk: admins.get(r.partner_id, set())
        | ({r.submitted_by_id} if r.submitted_by_id else set())
        for r in registrations
    }


def program_admin_ids() -> set[int]:
    return set(
        Membership.objects.filter(role=Role.PROGRAM_ADMIN, is_active=True).values_list(
            "user_id", flat=True
        )
    )


def approver_ids(registrations) -> dict[int, set[int]]:
    """Registration id -> user ids `approver_emails` would mail: the approver, or every program
    admin while it sits in the queue (or its approver no longer decides)."""
    assigned = {r.assigned_to_id for r in registrations if r.assigned_to_id}
    deciding = set(
        Membership.objects.filter(
            user_id__in=assigned, is_active=True, role__in=APPROVER_ROLES
        ).values_list("user_id", flat=True)
    )
    admins = (
        program_admin_ids()
        if any(r.assigned_to_id not in deciding for r in registrations)
        else set()
    )
    return {
        r.pk: {r.assigned_to_id} if r.assigned_to_id in deciding else admins for r in registrations
    }


# A digest names this many registrations and links the list for the rest.
DIGEST_LINES = 50


def rows_per_person(rows, recipients) -> dict[int, list]:
    """{user id: their rows} from {row id: user ids} — who gets which lines of a digest."""
    lookup = {row.pk: row for row in rows}
    people: dict[int, list] = {}
    for row_id, user_ids in recipients.items():
        for user_id in user_ids:
            people.setdefault(user_id, []).append(lookup[row_id])
    return people


def deal_digest_queue(
    *,
    template: str,
    people: dict[int, list[DealRegistration]],
    subject_one: str,
    subject_many: Callable[[int], str],
    console: bool,
    run: str,
) -> int:
    """One message per person (user id -> the registrations to tell them about, with `partner`
    loaded), rendered from emails/dealreg/<template>.txt/.html with `deals` (each with `url`).
    Members are told through notify(); others get the mail. The idempotency key names the
    kind, the person, the run (`run`, e.g. the sweep's day) and the registrations, so a retried
    run writes nothing twice. Queries grow with the people told, not with the registrations.
    Returns the number of people told."""
    import hashlib

    from django.template.loader import render_to_string
    from django.urls import NoReverseMatch, reverse

    from tenancy.hosts import tenant_base_url
    from tenancy.models import User

    people = {user_id: deals for user_id, deals in people.items() if deals}
    if not people:
        return 0
    tenant = require_current_tenant()
    base = tenant_base_url(tenant)
    name, fallback = (
        ("console_deal_detail", "console_deals")
        if console
        else ("portal_deal_detail", "portal_deals")
    )
    list_url = base + reverse(fallback)
    urls: dict[int, str] = {}
    for deals in people.values():
        for deal in sorted(deals, key=lambda d: d.pk)[:DIGEST_LINES]:
            if deal.pk not in urls:
                try:
                    urls[deal.pk] = base + reverse(name, kwargs={"deal_uuid": deal.uuid})
                except NoReverseMatch:
                    urls[deal.pk] = list_url
            deal.url = urls[deal.pk]
    users = {u.pk: u for u in User.objects.filter(pk__in=people, is_active=True).exclude(email="")}
    members = set(
        Membership.objects.filter(user_id__in=users, is_active=True).values_list(
            "user_id", flat=True
        )
    )
    told = 0
    for user_id, deals in sorted(people.items()):
        user = users.get(user_id)
        if user is None:
            continue
        deals = sorted(deals, key=lambda d: d.pk)
        one = deals[0] if len(deals) == 1 else None
        partners = {d.partner_id for d in deals}
        partner = deals[0].partner if len(partners) == 1 else None
        url = one.url if one is not None else list_url
        context = {
            "tenant": tenant,
            "deals": deals[:DIGEST_LINES],
            "more": max(len(deals) - DIGEST_LINES, 0),
            "deal": one,
            "count": len(deals),
            "url": url,
        }
        digest = hashlib.sha256(",".join(str(d.pk) for d in deals).encode()).hexdigest()[:16]
        fields = {
            "kind": DEAL_MAIL_KINDS[template],
            "subject": subject_one % {"customer": one.customer_name}
            if one is not None
            else subject_many(len(deals)),
            "body_text": render_to_string(f"emails/dealreg/{template}.txt", context),
            "body_html": render_to_string(f"emails/dealreg/{template}.html", context),
            "reply_to": person_address(partner.channel_manager) if partner is not None else "",
            "partner_uuid": partner.uuid if partner is not None else None,
            "source_uuid": one.uuid if one is not None else None,
            "idempotency_key": f"dealreg.{template}:{run}:{user_id}:{digest}",
        }
        if user_id in members:
            notify(user=user, url=url, **fields)
        else:
            email_enqueue(to=user.email, recipient=user, **fields)
        told += 1
    return told
