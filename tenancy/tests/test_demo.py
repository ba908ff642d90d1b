import pytest
from django.core.management import CommandError, call_command

from tenancy.context import tenant_context
from tenancy.models import Membership, OutboundEmail, Tenant, User
from tenancy.roles import Role

pytestmark = pytest.mark.django_db


def test_seed_demo_covers_every_role_in_both_tenants_and_is_idempotent(capsys, settings):
    settings.DEBUG = True  # what `make demo` runs with (prm.settings.local)
    settings.PRM_URL_PORT = "8101"  # `make run PORT=8101`
    call_command("seed_demo")
    printed = capsys.readouterr().out
    assert "http://acme.localhost:8101/" in printed and ":8000" not in printed
    users = User.objects.count()
    call_command("seed_demo")
    assert User.objects.count() == users
    for slug in ("acme", "globex"):
        tenant = Tenant.objects.get(slug=slug)
        with tenant_context(tenant):
            roles = set(Membership.objects.values_list("role", flat=True))
        assert roles == set(Role.values)
    pat = User.objects.get(email="pat@multivendor.example")
    assert Membership.objects.unscoped().filter(user=pat).count() == 2
    assert "demo-pass-2026" in printed
    # The mail log shows the demo's mail as people received it: placeholders filled in.
    mail = OutboundEmail.objects.unscoped()
    assert mail.filter(kind__startswith="onboarding.cadence").exists()
    for field in ("subject", "body_text", "body_html"):
        assert not mail.filter(**{f"{field}__contains": "{{"}).exists(), field


def test_seed_demo_refuses_without_debug_and_creates_nothing(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-published-credentials"):
        call_command("seed_demo")
    assert not Tenant.objects.filter(slug__in=["acme", "globex"]).exists()
    assert not User.objects.filter(email="pat@multivendor.example").exists()


_SEED_CALLS: list[int] = []


def _fake_seed():
    from types import SimpleNamespace

    _SEED_CALLS.append(1)
    return SimpleNamespace(logins=[])


def test_seed_demo_runs_without_debug_when_the_operator_says_so(settings, capsys):
    _SEED_CALLS.clear()
    settings.PRM_DEMO_SEED = f"{__name__}._fake_seed"
    settings.DEBUG = False
    call_command("seed_demo", "--allow-published-credentials")
    assert _SEED_CALLS == [1] and "Demo data ready." in capsys.readouterr().out


def test_password_reset_sends_an_email(acme, mailoutbox, django_capture_on_commit_callbacks):
    from django.test import Client

    with django_capture_on_commit_callbacks(execute=True):  # delivered after commit
        Client(HTTP_HOST=acme.host()).post(
            "/accounts/password/reset/", {"email": acme.manager.email}
        )
    assert len(mailoutbox) == 1 and "/accounts/password/reset/key/" in mailoutbox[0].body
