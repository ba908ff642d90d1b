from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # People join a tenant by invitation (or, later, the partner application form).
        return False

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
