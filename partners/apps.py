from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PartnersConfig(AppConfig):
    name = "partners"

    def ready(self) -> None:
        # The tenant mail log (tenancy) shows a channel manager the mail about their partners;
        # tenancy knows no partner model, so partners tells it which those are.
        from tenancy.emails import register_partner_scope

        from .selectors.organization import managed_partner_uuids
        from .services import tiers  # noqa: F401  (declares the certification provider registry)

        register_partner_scope(managed_partner_uuids)

        from tenancy.api.scopes import register_api_area

        # The API's area for per-key scopes (tenancy.api.scopes).
        register_api_area("partners", "program", _("Partner program: partners, tiers, rules"))
