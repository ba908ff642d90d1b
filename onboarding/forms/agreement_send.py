from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

NOT_A_SIGNER = _("Choose one of the partner's admins (invite them first).")


class AgreementSendForm(forms.Form):
    to_email = forms.ChoiceField(
        label=_("Send to"),
        error_messages={
            "invalid_choice": _("Choose one of the partner's admins (invite them first).")
        },
    )

    def __init__(self, *args, signers: list[tuple[str, object]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_email"].choices = [
            (
                email,
                f"{user.full_name} <{email}>"
                if user is not None and user.full_name
                else (email if user is not None else _("%(email)s (invited)") % {"email": email}),
            )
            for email, user in signers
        ]
