"""The analytics forms: a board report request (the filters come from the dashboard's query
string), the measurement settings and a recorded deal touch."""

from __future__ import annotations

from django import forms
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from .models import RECORDED_TOUCHES, BoardReport, CostRule, TouchKind


class BoardReportForm(forms.ModelForm):
    class Meta:
        model = BoardReport
        fields = ("title", "summary", "outlook", "email_me")
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 4}),
            "outlook": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "summary": _("What the board should take away; it opens the report."),
            "outlook": _("Plans and decisions you ask for; the report's last page."),
        }


class SettingsForm(forms.Form):
    """How the program is measured: the management cost and its rule, the weighted model."""

    cost_rule = forms.ChoiceField(
        label=_("How management cost is shared"), choices=CostRule.choices
    )
    manager_monthly_cost = forms.DecimalField(
        label=_("Cost of a channel manager per month"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("Salary and overheads of one channel manager, in the program currency."),
    )
    program_monthly_cost = forms.DecimalField(
        label=_("Other program cost per month"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("Tools, events and staff not assigned to partners, in the program currency."),
    )

    def __init__(self, *args, weights: dict[str, int], **kwargs):
        super().__init__(*args, **kwargs)
        for kind, label in TouchKind.choices:
            self.fields[f"weight_{kind}"] = forms.IntegerField(
                label=_("Weight: %(kind)s") % {"kind": label},
                min_value=0,
                max_value=100,
                initial=weights.get(kind, 0),
            )

    def clean(self):
        data = super().clean()
        weights = {kind: data.get(f"weight_{kind}") for kind in TouchKind.values}
        if all(w is not None for w in weights.values()) and not any(weights.values()):
            raise forms.ValidationError(_("Give at least one kind of touch a weight above 0."))
        data["attribution_weights"] = weights
        return data

    def values(self) -> dict:
        data = self.cleaned_data
        return {
            "cost_rule": data["cost_rule"],
            "manager_monthly_cost": data["manager_monthly_cost"],
            "program_monthly_cost": data["program_monthly_cost"],
            "attribution_weights": data["attribution_weights"],
        }


class TouchForm(forms.Form):
    """A partner's part in a won deal that its registration does not show."""

    registration = forms.ModelChoiceField(label=_("Won deal"), queryset=None)
    partner = forms.ModelChoiceField(label=_("Partner"), queryset=None)
    kind = forms.ChoiceField(
        label=_("What the partner did"),
        choices=[(k.value, k.label) for k in RECORDED_TOUCHES],
    )
    touched_on = forms.DateField(label=_("When"), widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args, deals, partners, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["registration"].queryset = deals
        self.fields["registration"].label_from_instance = lambda deal: (
            f"{deal.customer_name} · {deal.partner.name} · "
            f"{formats.date_format(deal.closed_at, 'DATE_FORMAT') if deal.closed_at else ''}"
        )
        self.fields["partner"].queryset = partners

    def clean(self):
        data = super().clean()
        deal, partner = data.get("registration"), data.get("partner")
        if deal and partner and deal.partner_id == partner.pk and data.get("kind"):
            self.add_error(
                "partner",
                _("%(partner)s registered this deal: its credit is counted already.")
                % {"partner": partner.name},
            )
        return data
