"""Seed a BottleCRM (PyPI `django-crm`) instance for integration tests.

Idempotent. Creates (or reuses) an admin user, one organisation with that user
as its ADMIN profile, and API credentials, then writes them to
``${BOTTLECRM_HOME}/credentials.json`` and prints the same JSON.

Run it with BottleCRM's own interpreter and settings (run.sh does this):

    cd $BOTTLECRM_HOME && DJANGO_SETTINGS_MODULE=crm.settings venv/bin/python seed.py

Credentials written:
  pat            personal access token (``bcrm_pat_...``), no expiry, unrestricted
                 scopes. Send as ``Authorization: Bearer <pat>`` (or ``Token: <pat>``).
                 The raw value is only ever known at creation, so it is kept in
                 credentials.json and re-used while its hash is still valid.
  jwt_access     org-bound JWT access token (1 h lifetime, minted on every run).
                 Needed only for the session-only endpoints (webhooks, token management).
  jwt_refresh    matching refresh token (14 days, single use: POST /api/auth/refresh-token/).
  org_api_key    the org's ``Token:`` key. Read-only (GET only) by design.
"""

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crm.settings")

import django  # noqa: E402

django.setup()

from common.models import Org, PersonalAccessToken, Profile  # noqa: E402
from common.serializer import OrgAwareRefreshToken  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import transaction  # noqa: E402
from opportunity.models import DealPipeline  # noqa: E402

ADMIN_EMAIL = os.environ.get("BOTTLECRM_ADMIN_EMAIL", "admin@bottlecrm.local")
ADMIN_PASSWORD = os.environ.get("BOTTLECRM_ADMIN_PASSWORD", "bottlecrm-admin-pw")
ORG_NAME = os.environ.get("BOTTLECRM_ORG_NAME", "PRM Integration Org")
PAT_NAME = "prm-integration-tests"

home = Path(os.environ.get("BOTTLECRM_HOME", Path.cwd()))
cred_path = home / "credentials.json"
port = os.environ.get("BOTTLECRM_PORT", "8765")


def load_previous():
    try:
        return json.loads(cred_path.read_text())
    except (OSError, ValueError):
        return {}


def main():
    prev = load_previous()
    User = get_user_model()
    with transaction.atomic():
        user = User.objects.filter(email=ADMIN_EMAIL).first()
        if user is None:
            user = User.objects.create_superuser(email=ADMIN_EMAIL, password=ADMIN_PASSWORD)
        org = Org.objects.filter(name=ORG_NAME).order_by("created_at").first()
        if org is None:
            org = Org.objects.create(name=ORG_NAME, default_currency="USD")
        profile, _ = Profile.objects.get_or_create(
            user=user, org=org, defaults={"role": "ADMIN", "is_active": True}
        )
        if profile.role != "ADMIN" or not profile.is_active:
            profile.role = "ADMIN"
            profile.is_active = True
            profile.save()
        # Create the default "Sales" pipeline + stages now rather than lazily on
        # the first deal request.
        pipeline = DealPipeline.default_for(org)

        raw = prev.get("pat")
        pat_ok = False
        if raw:
            pat = PersonalAccessToken.objects.filter(
                token_hash=PersonalAccessToken.hash_token(raw), profile=profile
            ).first()
            pat_ok = pat is not None and pat.is_valid()
        if not pat_ok:
            raw, _pat = PersonalAccessToken.generate(profile, PAT_NAME, scopes=[])

    refresh = OrgAwareRefreshToken.for_user_and_org(user, org, profile)
    creds = {
        "base_url": f"http://127.0.0.1:{port}",
        "admin_email": ADMIN_EMAIL,
        "admin_password": ADMIN_PASSWORD,
        "user_id": str(user.id),
        "org_id": str(org.id),
        "org_name": org.name,
        "profile_id": str(profile.id),
        "pipeline_id": str(pipeline.id),
        "stages": list(pipeline.stages.values_list("code", flat=True)),
        "pat": raw,
        "org_api_key": org.api_key,
        "jwt_access": str(refresh.access_token),
        "jwt_refresh": str(refresh),
        "auth_header": f"Authorization: Bearer {raw}",
    }
    cred_path.write_text(json.dumps(creds, indent=2) + "\n")
    os.chmod(cred_path, 0o600)
    json.dump(creds, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
