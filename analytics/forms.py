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


class SurveySettingsForm(forms.Form):
    """When partner satisfaction surveys go out, and what they ask."""

    psat_every_months = forms.IntegerField(
        label=_("Send a survey every (months)"),
        min_value=0,
        max_value=24,
        help_text=_("6 for twice a year; 0 to send surveys only when you start one."),
    )
    psat_open_days = forms.IntegerField(
        label=_("Days a survey stays open"), min_value=3, max_value=90
    )
    psat_reminder_days = forms.IntegerField(
        label=_("Remind those who have not answered after (days)"),
        min_value=1,
        max_value=60,
        help_text=_("Two reminders at most, this many days apart."),
    )
    psat_anonymous = forms.BooleanField(
        label=_("Anonymous answers"),
        required=False,
        help_text=_(
            "Answers keep the partner's tier and region, never the person or the partner. "
            "Applies to the next survey."
        ),
    )
    psat_questions = forms.CharField(
        label=_("Questions scored 1 to 5"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "One per line, 10 at most. Every survey also asks how likely the partner is to "
            "recommend your program (0 to 10) and for a comment."
        ),
    )

    def clean_psat_questions(self):
        lines = [line.strip() for line in self.cleaned_data["psat_questions"].splitlines()]
        questions = [line for line in lines if line]
        if not questions:
            raise forms.ValidationError(_("Ask at least one question."))
        if len(questions) > MAX_QUESTIONS:
            raise forms.ValidationError(
                _("Ask %(max)s questions at most (you wrote %(count)s).")
                % {"max": MAX_QUESTIONS, "count": len(questions)}
            )
        if any(len(q) > 200 for q in questions):
            raise forms.ValidationError(_("Keep each question under 200 characters."))
        return questions


MAX_QUESTIONS = 10


class AcquisitionForm(forms.Form):
    """What customers cost to win and what they are worth, channel vs direct."""

    channel_marketing_monthly_cost = forms.DecimalField(
        label=_("Channel marketing cost per month"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("Besides MDF, which is counted from the funds paid."),
    )
    direct_marketing_monthly_cost = forms.DecimalField(
        label=_("Direct marketing cost per month"), min_value=0, max_digits=14, decimal_places=2
    )
    direct_sales_monthly_cost = forms.DecimalField(
        label=_("Direct sales cost per month"),
        min_value=0,
        max_digits=14,
        decimal_places=2,
        help_text=_("Your own sales team: salary, commission, overheads."),
    )
    gross_margin_percent = forms.DecimalField(
        label=_("Gross margin %"), min_value=0, max_value=100, max_digits=5, decimal_places=2
    )
    max_lifetime_years = forms.IntegerField(
        label=_("Longest customer lifetime counted (years)"), min_value=1, max_value=20
    )


class DirectRevenueUploadForm(forms.Form):
    file = forms.FileField(
        label=_("Direct revenue (CSV)"),
        help_text=_(
            "Columns: customer, amount, currency, date (YYYY-MM-DD), and optionally "
            "product and reference. Replaces nothing: rows with a reference already loaded "
            "are skipped."
        ),
    )


class SurveyAnswerForm(forms.Form):
    """A partner user's answer: each question 1–5, the recommendation 0–10, a comment."""

    recommend = forms.TypedChoiceField(
        label=_("How likely are you to recommend our partner program to a peer?"),
        choices=[(n, str(n)) for n in range(11)],
        coerce=int,
        widget=forms.RadioSelect,
        help_text=_("0 = not at all likely, 10 = extremely likely."),
        error_messages={"required": _("Choose how likely, from 0 to 10.")},
    )
    comment = forms.CharField(
        label=_("Anything else you would like to tell us?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, questions: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        scored = {}
        for i, question in enumerate(questions):
            scored[f"q{i}"] = forms.TypedChoiceField(
                label=question,
                choices=SCORE_CHOICES,
                coerce=int,
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose a score from 1 to 5.")},
            )
        self.fields = {**scored, **self.fields}
        self.question_count = len(questions)

    def scores(self) -> list[int]:
        return [self.cleaned_data[f"q{i}"] for i in range(self.question_count)]


SCORE_CHOICES = [
    (1, _("1 – poor")),
    (2, "2"),
    (3, "3"),
    (4, "4"),
    (5, _("5 – excellent")),
]
