from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.core.exceptions import PermissionDenied
from django.db import transaction

from .models import Membership
from .network import client_ip


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # People join a tenant by invitation (or, later, the partner application form).
        return False

    def send_password_reset_mail(self, user, email: str, context: dict) -> None:
        """At a tenant's host, only that tenant's active members get a reset link. Anyone else
        gets the mail an unknown address gets (no link, no signup invitation), and the visitor
        sees the same neutral page either way: nothing tells who has an account where. At the
        platform host (no tenant) every account can reset, as the account is global."""
        request = context.get("request")
        tenant = getattr(request, "tenant", None)
        # The request runs inside the host's tenant: the scoped manager looks only there.
        if tenant is not None and not Membership.objects.filter(user=user, is_active=True).exists():
            self.send_mail("account/email/unknown_account", email, {"program": tenant.name})
            return
        super().send_password_reset_mail(user, email, context)

    def get_client_ip(self, request) -> str:
        """Login and reset rate limits count per client, not per proxy: the same rule as ours
        (ALLAUTH_TRUSTED_PROXY_COUNT is set from the same value, for allauth code that reads it)."""
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine client IP address")
        return ip

    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        """Account mail (confirmation, password reset, security notices) goes through the mail
        outbox like every other mail: no SMTP in the request. Its links are credentials, so the
        mail log shows who and when, never the text."""
        from .context import get_current_tenant
        from .emails import ACCOUNT, email_enqueue_message

        request = allauth_context.request
        ctx = {"request": request, "email": email, "current_site": get_current_site(request)}
        ctx.update(context)
        message = self.render_mail(template_prefix, email, ctx)
        with transaction.atomic():
            email_enqueue_message(
                message, kind=ACCOUNT, sensitive=True, platform=get_current_tenant() is None
            )
