from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.module_loading import import_string

from tenancy.demo import DEMO_PASSWORD


class Command(BaseCommand):
    help = "Load the demo tenants (acme, globex) with users of every role. Safe to run again."

    def handle(self, *args, **options):
        # The demo spans every app, so the project (prm/demo.py) assembles it, not tenancy.
        result = import_string(settings.PRM_DEMO_SEED)()
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write(f"Every demo login uses the password: {DEMO_PASSWORD}")
        current = None
        for login in result.logins:
            if login.tenant != current:
                current = login.tenant
                self.stdout.write(f"\n  http://{current}.localhost:8000/")
            extra = f" ({login.organization})" if login.organization else ""
            totp = f"  TOTP secret: {login.totp_secret}" if login.totp_secret else ""
            self.stdout.write(f"    {login.email:34} {login.role}{extra}{totp}")
