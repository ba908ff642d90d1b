"""Create (or update) a platform operator: a staff superuser whose email counts as verified, so
they can log in at once (email verification is mandatory) — e.g. to read the development mailbox,
which only platform staff may read, or to open the platform admin (TOTP enrolled at first login).
"""

from __future__ import annotations

import getpass
import sys

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from tenancy.models import User


class Command(BaseCommand):
    help = "Create or update a platform operator (staff superuser, verified email)."

    def add_arguments(self, parser):
        parser.add_argument("email")
        parser.add_argument(
            "--password-stdin",
            action="store_true",
            help="Read the password from standard input instead of prompting.",
        )

    def handle(self, *args, email: str, password_stdin: bool = False, **options):
        email = User.objects.normalize_email(email).lower()
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = getpass.getpass("Password: ")
        user = User.objects.filter(email__iexact=email).first() or User(email=email)
        try:
            validate_password(password, user=user)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        with transaction.atomic():
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(password)
            user.save()
            EmailAddress.objects.update_or_create(
                user=user,
                email__iexact=email,
                defaults={"email": email, "verified": True, "primary": True},
            )
        self.stdout.write(f"Platform operator {email} is ready.")
