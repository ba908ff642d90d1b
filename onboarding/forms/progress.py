"""Forms of onboarding progress: the funnel's filters, the benefit gates and the setup wizard's
steps (whose fields are the partner profile form's own, made required)."""

from __future__ import annotations

import copy

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from partners.forms.organization import PartnerProfileForm
from tenancy import selectors as tenancy_selectors
from tenancy.access import Actor

from ..models import Benefit, GateScope, MilestoneKey
from ..services.progress import WIZARD_STEPS, WizardStep, benefit_requirements


class FunnelFilterForm(forms.Form):
    signed_from = forms.DateField(
        label=_("Signed from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    signed_to = forms.DateField(
        label=_("Signed until"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    manager = forms.ModelChoiceField(
        label=_("Channel manager"),
        required=False,
        queryset=get_user_model().objects.none(),
        empty_label=_("Any channel manager"),
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        staff = tenancy_selectors.partner_managers(actor)
        self.fields["manager"].queryset = (
            get_user_model().objects.filter(pk__in=staff.values("user_id")).order_by("email")
        )

    def clean(self):
        data = super().clean()
        start, end = data.get("signed_from"), data.get("signed_to")
        if start and end and start > end:
            self.add_error("signed_to", _("The end comes before the start."))
        return data

    def selector_kwargs(self) -> dict:
        if not self.is_bound or not self.is_valid():
            return {}
        manager = self.cleaned_data.get("manager")
        return {
            "signed_from": self.cleaned_data.get("signed_from"),
            "signed_to": self.cleaned_data.get("signed_to"),
            "manager_id": manager.pk if manager else None,
        }


def _requirement_field_name(benefit: str) -> str:
    return f"{benefit}_requirements"


class BenefitGatesForm(forms.Form):
    """One checkbox list of required steps per benefit, then the tenant's settings."""

    training_gate_scope = forms.ChoiceField(
        label=_("The 101 requirement counts when"),
        choices=GateScope.choices,
        widget=forms.RadioSelect,
    )
    activate_on_signature = forms.BooleanField(
        label=_("Make the partner active when onboarding completes"), required=False
    )

    def __init__(self, *args, settings_row=None, **kwargs):
        super().__init__(*args, **kwargs)
        gate_fields = {}
        for benefit, label in Benefit.choices:
            gate_fields[_requirement_field_name(benefit)] = forms.MultipleChoiceField(
                label=_("%(benefit)s needs") % {"benefit": label},
                choices=MilestoneKey.choices,
                widget=forms.CheckboxSelectMultiple,
                required=False,
                initial=benefit_requirements(benefit),
            )
        # Gates first, then the settings.
        self.fields = {**gate_fields, **self.fields}
        if settings_row is not None:
            self.fields["training_gate_scope"].initial = settings_row.training_gate_scope
            self.fields["activate_on_signature"].initial = settings_row.activate_on_signature

    def service_kwargs(self) -> dict:
        data = self.cleaned_data
        return {
            "requirements": {
                benefit: list(data[_requirement_field_name(benefit)]) for benefit in Benefit.values
            },
            "training_gate_scope": data["training_gate_scope"],
            "activate_on_signature": data["activate_on_signature"],
        }


def wizard_form_class(step: WizardStep) -> type[forms.Form]:
    """A form with the step's profile fields, defined once in the partner profile form and
    required here (a complete profile is the point of the wizard)."""
    fields = {}
    for name in step.fields:
        field = copy.deepcopy(PartnerProfileForm.base_fields[name])
        field.required = True
        fields[name] = field
    return type(f"{step.slug.title()}StepForm", (forms.Form,), fields)


WIZARD_FORMS: dict[str, type[forms.Form]] = {
    step.slug: wizard_form_class(step) for step in WIZARD_STEPS
}


def wizard_initial(step: WizardStep, partner) -> dict:
    return {name: getattr(partner, name) for name in step.fields}
