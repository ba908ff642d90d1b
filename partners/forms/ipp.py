"""ipp: the criterion form, which reshapes itself to fit the chosen profile field and rule."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import CriterionField, CriterionGroup, IppCriterion, Operator
from ..services.ipp import BAND, field_spec
from .limits import MONEY_MAX, NUMBER_MESSAGE, WEIGHT_MESSAGE, limit

# Fields with few choices show checkboxes; long lists (countries) a multi-select box.
CHECKBOXES_UP_TO = 12


class CriterionForm(forms.Form):
    """Group, label, profile field, rule, value and weight of one IPP criterion.

    The rule's choices are those that make sense on the field, and the value input fits the rule:
    checkboxes / a multi-select of the field's choices (or comma-separated text for skills and
    industries) for "any/all/none of", a number for "at least/at most", nothing for "is yes".
    The service validates again; its errors land on these fields.
    """

    group = forms.ChoiceField(label=_("Group"), choices=CriterionGroup.choices)
    label = forms.CharField(
        label=_("Label"),
        max_length=160,
        help_text=_("How the criterion reads in score explanations, e.g. “Serves EMEA”."),
    )
    field = forms.ChoiceField(label=_("Profile field"), choices=CriterionField.choices)
    operator = forms.ChoiceField(
        label=_("Rule"),
        error_messages={"invalid_choice": _("This rule does not apply to the chosen field.")},
    )
    weight = limit(
        forms.IntegerField(
            label=_("Weight"),
            initial=10,
            help_text=_(
                "Points a partner earns when it matches; the score is the share of all points."
            ),
        ),
        1,
        100,
        WEIGHT_MESSAGE,
    )

    def __init__(self, data=None, *, initial: dict[str, Any] | None = None, **kwargs):
        super().__init__(data, initial=initial, **kwargs)
        field = self._current("field")
        if field not in CriterionField.values:
            field = CriterionField.REGIONS
        spec = field_spec(field)
        self.fields["operator"].choices = [(op, Operator(op).label) for op in spec.operators]
        operator = self._current("operator")
        if operator not in spec.operators:
            operator = spec.operators[0]
            if not self.is_bound:
                self.initial["operator"] = operator
        value_field = _value_field(spec, field, operator)
        if value_field is not None:
            # Keep the order group, label, field, rule, value, weight.
            weight = self.fields.pop("weight")
            self.fields["value"] = value_field
            self.fields["weight"] = weight
            if not self.is_bound and "value" in self.initial:
                self.initial["value"] = _initial_value(value_field, self.initial["value"])

    def _current(self, name: str) -> str | None:
        if self.is_bound:
            return self.data.get(self.add_prefix(name))
        value = self.initial.get(name)
        return str(value) if value is not None else None

    @classmethod
    def initial_for(cls, criterion: IppCriterion) -> dict[str, Any]:
        return {
            "group": criterion.group,
            "label": criterion.label,
            "field": criterion.field,
            "operator": criterion.operator,
            "value": criterion.value,
            "weight": criterion.weight,
        }

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "group": data["group"],
            "label": data["label"],
            "field": data["field"],
            "operator": data["operator"],
            "value": data.get("value", []),
            "weight": data["weight"],
        }


def _value_field(spec, field: str, operator: str) -> forms.Field | None:
    if operator == Operator.IS_TRUE:
        return None
    if operator in (Operator.GTE, Operator.LTE):
        help_text = ""
        if spec.kind == BAND:
            bounds = ", ".join(key for key, _label in spec.choices)
            help_text = _(
                "Compared with the lower bound of the partner's band (%(bounds)s): "
                "“at least 50” matches 51–200 and above."
            ) % {"bounds": bounds}
        return limit(
            forms.DecimalField(
                label=_("Number"), max_digits=14, decimal_places=2, help_text=help_text
            ),
            0,
            MONEY_MAX,
            NUMBER_MESSAGE,
        )
    if spec.choices is None:
        return forms.CharField(
            label=_("Values"),
            max_length=2000,
            help_text=_("Separate values with commas; upper and lower case count as the same."),
        )
    many = len(spec.choices) > CHECKBOXES_UP_TO
    widget = forms.SelectMultiple(attrs={"size": 10}) if many else forms.CheckboxSelectMultiple
    return forms.MultipleChoiceField(
        label=_("Values"),
        choices=list(spec.choices),
        widget=widget,
        help_text=_("Hold Ctrl (⌘ on a Mac) to choose several.") if many else "",
    )


def _initial_value(value_field: forms.Field, value: Any) -> Any:
    """Fit a stored or carried-over value to the input now shown (e.g. after a field change)."""
    values = (
        value if isinstance(value, list | tuple) else [value] if value not in (None, "") else []
    )
    if isinstance(value_field, forms.DecimalField):
        try:
            return Decimal(str(values[0])) if values else None
        except (InvalidOperation, ValueError):
            return None  # e.g. "EMEA" carried over from a list rule
    if isinstance(value_field, forms.MultipleChoiceField):
        known = {key for key, _label in value_field.choices}
        return [str(item) for item in values if str(item) in known]
    return ", ".join(str(item) for item in values)
