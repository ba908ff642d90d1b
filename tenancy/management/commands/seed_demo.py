from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils.module_loading import import_string

from tenancy.demo import DEMO_PASSWORD
from tenancy.hosts import tenant_base_url
from tenancy.models import Tenant

ALLOW_FLAG = "--allow-published-credentials"


class Command(BaseCommand):
    help = (
        "Load the demo tenants (acme, globex) with users of every role. Safe to run again. "
        "Development only: every demo login has the password and TOTP secret printed in the "
        "README, program admins included."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            ALLOW_FLAG,
            action="store_true",
            dest="allow_published_credentials",
            help="Seed even though DEBUG is off (a throw-away trial: anyone who has read the "
            "README can then log in as any demo user, program admins included).",
        )

    def handle(self, *args, allow_published_credentials=False, **options):
        # WARNING: the demo password and TOTP secret are public; on a reachable server they are
        # an open door. Refuse unless this is a development run or the operator says so.
        if not settings.DEBUG and not allow_published_credentials:
            raise CommandError(
                "seed_demo creates logins whose password and TOTP secret are published in the "
                "README. It runs only with DEBUG on (make run / make demo); on a throw-away "
                f"trial server pass {ALLOW_FLAG}."
            )
        # The demo spans every app, so the project (prm/demo.py) assembles it, not tenancy.
        result = import_string(settings.PRM_DEMO_SEED)()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        current = None
        for login in result.logins:
            if login.tenant != current:
                current = login.tenant
                # The port `make run` serves (PRM_URL_PORT follows PORT), like every mail link.
                address = tenant_base_url(Tenant.objects.get(slug=current))
                self.stdout.write(f"\n  {address}/")
            extra = f" ({login.organization})" if login.organization else ""
            totp = f"  TOTP secret: {login.totp_secret}" if login.totp_secret else ""
            self.stdout.write(f"    {login.email:34} {login.role}{extra}{totp}")
