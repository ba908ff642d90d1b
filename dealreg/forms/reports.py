"""The period of the console's deal-registration reports (the page, its CSV and the API)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from ..selectors.reports import EARLIEST, Period


class ReportPeriodForm(forms.Form):
    """`?from=&to=` as a form: each bad date is an error beside its field, the typed text kept.
    Valid, `.period` is the report's Period (empty dates: the last 90 days)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        latest = Period.latest().isoformat()
        for name, label in (("from", _("From")), ("to", _("To"))):
            self.fields[name] = forms.DateField(
                label=label,
                required=False,
                widget=forms.DateInput(
                    attrs={"type": "date", "min": EARLIEST.isoformat(), "max": latest}
                ),
            )

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            self.period = Period.of(data.get("from"), data.get("to"))
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                self.add_error(name, messages)
        return data

    @classmethod
    def for_query(cls, params) -> ReportPeriodForm:
        """Bound to the query string's `from` / `to` (unbound without them: the default)."""
        data = {k: params[k] for k in ("from", "to") if params.get(k)}
        form = cls(data or None)
        if not data:
            form.period = Period.of(None, None)
        return form

    @property
    def ok(self) -> bool:
        return not self.is_bound or self.is_valid()
