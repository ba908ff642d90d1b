"""Partner agreement templates (versioned, per partner type) and signatures (immutable)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from partners.models import PartnerType
from tenancy.scoping import TenantOwnedModel
from tenancy.uploads import tenant_path


class AgreementTemplate(TenantOwnedModel):
    """One version of the partner agreement. A draft (published_at empty) may be edited; once
    published its text never changes: the next change is a new version. The current agreement for
    a partner is the latest published version for its primary type, else for all types ("")."""

    title = models.CharField(_("title"), max_length=200)
    partner_type = models.CharField(
        _("partner type"),
        max_length=32,
        choices=PartnerType.choices,
        blank=True,
        help_text=_("Leave empty for the agreement every partner type signs."),
    )
    version = models.PositiveIntegerField(_("version"))
    body = models.TextField(_("text (Markdown)"))
    summary_of_changes = models.TextField(_("summary of changes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["partner_type", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "partner_type", "version"], name="agreementtemplate_version"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    @property
    def summary(self) -> str:
        """What changed, under the name every versioned document uses in templates."""
        return self.summary_of_changes


class SignatureMethod(models.TextChoices):
    CLICK_THROUGH = "click", _("Signed in the portal")
    OFFLINE = "offline", _("Signed offline (contract uploaded)")


def contract_upload_to(signature: AgreementSignature, filename: str) -> str:
    return tenant_path("agreements", signature.tenant_id, f"{signature.uuid}.pdf")


def signed_pdf_upload_to(signature: AgreementSignature, filename: str) -> str:
    return tenant_path("agreements", signature.tenant_id, f"{signature.uuid}-signed.pdf")


class AgreementSignature(TenantOwnedModel):
    """A partner's signature of one agreement version. Written once by a service, never updated:
    it keeps the exact text signed and its SHA-256, who signed (typed name and title), when and
    from where; an offline signature keeps the uploaded contract and who recorded it. The signed
    agreement's PDF is rendered once, when it is signed, and kept with its SHA-256: downloads
    serve those bytes, whatever the templates say later."""

    partner = models.ForeignKey(
        "partners.PartnerOrganization", on_delete=models.CASCADE, related_name="agreements"
    )
    template = models.ForeignKey(
        AgreementTemplate, on_delete=models.PROTECT, related_name="signatures"
    )
    method = models.CharField(max_length=8, choices=SignatureMethod.choices)
    text_signed = models.TextField()
    text_sha256 = models.CharField(max_length=64)
    signer_name = models.CharField(_("full name"), max_length=200)
    signer_title = models.CharField(_("title"), max_length=200)
    signer_email = models.EmailField(_("email"), blank=True)
    # The portal user who clicked "sign" (empty for an offline signature).
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The staff member who recorded an offline signature.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    signed_at = models.DateTimeField(default=timezone.now)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    contract_file = models.FileField(upload_to=contract_upload_to, blank=True, max_length=200)
    contract_sha256 = models.CharField(max_length=64, blank=True)
    contract_filename = models.CharField(max_length=200, blank=True)
    pdf_file = models.FileField(upload_to=signed_pdf_upload_to, blank=True, max_length=200)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-signed_at"]
        constraints = [
            # Signing the same version twice is refused by the database, not only by the service.
            models.UniqueConstraint(
                fields=["tenant", "partner", "template"], name="agreementsignature_once"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "partner", "-signed_at"], name="agreementsig_partner"),
        ]

    def __str__(self) -> str:
        return f"{self.partner} signed {self.template}"
