from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenancy import services
from tenancy.context import tenant_context
from tenancy.hosts import tenant_base_url


class Command(BaseCommand):
    help = "Create a tenant (vendor) and email an invitation to its first program admin."

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True, help="host label: <slug>.<PRM_BASE_DOMAIN>")
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--custom-domain", default=None)

    def handle(self, *args, slug, name, admin_email, custom_domain, **options):
        try:
            tenant = services.tenant_create(name=name, slug=slug, custom_domain=custom_domain)
            with tenant_context(tenant):
                invitation = services.invitation_create_first_admin(email=admin_email)
        except ValidationError as error:
            raise CommandError("; ".join(error.messages)) from error
        self.stdout.write(self.style.SUCCESS(f"Tenant {tenant.name} at {tenant_base_url(tenant)}"))
        self.stdout.write(
            f"Invitation emailed to {invitation.email}; the link is valid for a week."
        )
        self.stdout.write(services.invitation_accept_url(invitation))
