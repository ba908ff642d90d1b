"""The roles a membership can hold in a tenant: vendor staff or partner user."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    # Vendor staff
    PROGRAM_ADMIN = "program_admin", _("Program admin")
    CHANNEL_MANAGER = "channel_manager", _("Channel manager")
    DIRECT_SALES = "direct_sales", _("Direct sales")
    MARKETING = "marketing", _("Marketing manager")
    EXECUTIVE = "executive", _("Executive")
    # Partner users (always of one PartnerOrganization)
    PARTNER_ADMIN = "partner_admin", _("Partner admin")
    PARTNER_SALES = "partner_sales", _("Partner sales")
    PARTNER_PRESALES = "partner_presales", _("Partner pre-sales / technical")
    PARTNER_MARKETING = "partner_marketing", _("Partner marketing")


VENDOR_ROLES = frozenset(
    {Role.PROGRAM_ADMIN, Role.CHANNEL_MANAGER, Role.DIRECT_SALES, Role.MARKETING, Role.EXECUTIVE}
)
PARTNER_ROLES = frozenset(
    {Role.PARTNER_ADMIN, Role.PARTNER_SALES, Role.PARTNER_PRESALES, Role.PARTNER_MARKETING}
)
