"""Partner agreements: which versions an actor may see, the current one for a partner, and the
signatures in the actor's reach."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db.models import Count, F, QuerySet
from django.utils.translation import gettext as _

from partners.models import PartnerOrganization
from tenancy import access
from tenancy.access import Actor, Perm

from ..models import AgreementSignature, AgreementTemplate


def published_templates() -> QuerySet[AgreementTemplate]:
    return AgreementTemplate.objects.filter(published_at__isnull=False).select_related("created_by")


def templates_applying_to(partner: PartnerOrganization) -> QuerySet[AgreementTemplate]:
    """Published versions a partner could sign: its primary type's and the all-types ones."""
    types = {"", partner.partner_type or ""}
    return published_templates().filter(partner_type__in=types).order_by("partner_type", "-version")


def current_agreement_for(partner: PartnerOrganization) -> AgreementTemplate | None:
    """The latest published version for the partner's primary type, else the latest published
    version for all types (blank partner type), else None."""
    published = published_templates().order_by("-version")
    if partner.partner_type:
        specific = published.filter(partner_type=partner.partner_type).first()
        if specific is not None:
            return specific
    return published.filter(partner_type="").first()


def templates_for(actor: Actor) -> QuerySet[AgreementTemplate]:
    """Program staff see every version (drafts too); a partner user the published versions that
    apply to their organisation; anyone else is refused (403)."""
    if actor.has(Perm.PROGRAM_VIEW):
        return AgreementTemplate.objects.select_related("created_by").order_by(
            "partner_type", "-version"
        )
    if actor.has(Perm.PORTAL_VIEW):
        partner = own_partner(actor)
        if partner is None:
            return AgreementTemplate.objects.none()
        return templates_applying_to(partner)
    access.require_mfa(actor)
    raise PermissionDenied(_("Your role does not allow this."))


def templates_console_list(actor: Actor) -> list[dict]:
    """Versions grouped by partner type ("" = all types first), each with its signature count.
    One query whatever the number of versions."""
    versions = (
        templates_for(actor)
        .annotate(signature_count=Count("signatures"))
        .order_by("partner_type", F("published_at").desc(nulls_first=True), "-version")
    )
    groups: dict[str, dict] = {}
    for template in versions:
        group = groups.setdefault(
            template.partner_type,
            {
                "partner_type": template.partner_type,
                "label": template.get_partner_type_display() or _("All partner types"),
                "versions": [],
                "current": None,
            },
        )
        if template.published_at is not None and group["current"] is None:
            # Drafts come first, then published versions newest first: the first published
            # version of a group is its current one.
            group["current"] = template
        group["versions"].append(template)
    return list(groups.values())


def own_partner(actor: Actor) -> PartnerOrganization | None:
    if actor.partner_organization_id is None:
        return None
    return PartnerOrganization.objects.filter(pk=actor.partner_organization_id).first()


def signatures_for(actor: Actor) -> QuerySet[AgreementSignature]:
    """Signatures of the partners the actor may see: a partner user their own organisation's, a
    channel manager their partners', program admins and executives all. Roles without partner
    read access get nothing."""
    if not (actor.has(Perm.PARTNERS_VIEW) or actor.has(Perm.PORTAL_VIEW)):
        return AgreementSignature.objects.none()
    qs = AgreementSignature.objects.select_related(
        "partner", "template", "signed_by", "recorded_by"
    ).order_by("-signed_at", "-pk")
    return access.scope_partner_owned(actor, qs)


def partner_signatures(actor: Actor, partner: PartnerOrganization) -> QuerySet[AgreementSignature]:
    return signatures_for(actor).filter(partner=partner)


def template_signatures(actor: Actor, template: AgreementTemplate) -> QuerySet[AgreementSignature]:
    return signatures_for(actor).filter(template=template).order_by("partner__name")
