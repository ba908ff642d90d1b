from allauth.account.adapter import DefaultAccountAdapter

from .models import Membership


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
