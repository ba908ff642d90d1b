"""Partner agreements: which versions an actor may see, the current one for a partner, and the
signatures in the actor's reach."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from partners.models import PartnerOrganization, PartnerType
from partners.selectors.documents import DocumentKind, console_versions, current_for_partner
from tenancy import access
from tenancy.access import Actor, Perm

from ..models import AgreementSignature, AgreementTemplate


def _clean_partner_type(partner_type: str) -> str:
    if partner_type and partner_type not in PartnerType.values:
        raise ValidationError({"partner_type": _("Unknown partner type.")})
    return partner_type


# Versions are numbered per partner type when their draft is created; a partner signs its type's
# current version, else the one for every type (see partners.services.documents).
AGREEMENT = DocumentKind(
    name="agreement",
    model=AgreementTemplate,
    fields=("partner_type", "summary_of_changes"),
    number_drafts=True,
    accept_perm=Perm.AGREEMENT_SIGN,
    accept_relation="signatures",
    group_field="partner_type",
    clean_group=_clean_partner_type,
    author_field="created_by",
    only_partner_users=gettext_lazy("Only a signed-in partner admin can sign the agreement."),
    not_current=gettext_lazy("Only the current version of the agreement can be signed."),
    accept_error_field="template",
)


def published_templates() -> QuerySet[AgreementTemplate]:
    return AgreementTemplate.objects.filter(published_at__isnull=False).select_related("created_by")


def templates_applying_to(partner: PartnerOrganization) -> QuerySet[AgreementTemplate]:
    """Published versions a partner could sign: its primary type's and the all-types ones."""
    types = {"", partner.partner_type or ""}
    return published_templates().filter(partner_type__in=types).order_by("partner_type", "-version")


def current_agreement_for(partner: PartnerOrganization) -> AgreementTemplate | None:
    """The latest published version for the partner's primary type, else the latest published
    version for all types (blank partner type), else None."""
    return current_for_partner(AGREEMENT, partner)


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
    """Versions grouped by partner type ("" = all types first), each with its `accept_count`
    (signatures). One query whatever the number of versions."""
    labels = {"": _("All partner types"), **dict(PartnerType.choices)}
    return console_versions(AGREEMENT, templates_for(actor), labels=labels)


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
