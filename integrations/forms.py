from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from dealreg.selectors.sync import sales_stages
from tenancy.events import EVENT_TYPES
from tenancy.outbox import DeliveryStatus

from .connectors import connector_class
from .connectors.base import PRM_FIELDS
from .models import CrmKind, CrmSyncLog, SyncDirection, WebhookDelivery
from .relay import PING

EVENT_CHOICES = [(key, label) for key, label in EVENT_TYPES.items()]


class EndpointForm(forms.Form):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where events are posted (https), e.g. https://example.com/prm-webhooks."),
    )
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Events"),
        choices=EVENT_CHOICES,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What this endpoint hears about."),
    )


class EndpointEditForm(EndpointForm):
    is_active = forms.BooleanField(
        label=_("Active"),
        required=False,
        help_text=_("Untick to pause: events are not sent while paused."),
    )


def event_label(kind: str) -> str:
    if kind == PING:
        return str(_("Test event"))
    return str(EVENT_TYPES.get(kind, kind))


def event_subject(payload: dict) -> str:
    """What an event is about, in a word or two (the log's second line): the deal's customer,
    the partner, the person, the lead's company, the MDF activity."""
    for key in ("customer_name", "partner_name", "person", "company", "title"):
        if payload.get(key):
            return str(payload[key])
    return ""


class DeliveryFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        choices=DeliveryStatus.choices, label=_("Status"), empty_label=_("Any status")
    )
    event = django_filters.ChoiceFilter(
        field_name="event__type",
        choices=[*EVENT_CHOICES, (PING, _("Test event"))],
        label=_("Event"),
        empty_label=_("All events"),
    )

    class Meta:
        model = WebhookDelivery
        fields = []


# --- CRM connections -------------------------------------------------------------------------


class ConnectForm(forms.Form):
    kind = forms.ChoiceField(label=_("CRM"), choices=CrmKind.choices)
    name = forms.CharField(
        label=_("Name"), max_length=100, help_text=_("e.g. “Salesforce (production)”.")
    )
    demo_mode = forms.BooleanField(
        label=_("Demo mode"),
        required=False,
        help_text=_(
            "Try it without a CRM: nothing leaves the server; pushes and pulls are simulated."
        ),
    )


def _stage_label(value: str) -> str:
    return str(dict(sales_stages()).get(value, value))


class ConnectionForm(forms.Form):
    """A connection's settings (the connector's own fields), field mapping and stage mapping.
    Field names: `setting_<name>`, `map_<PRM field>`, `stage_<n>` (one per known CRM stage) and
    `other_stages` (lines "CRM stage = PRM stage")."""

    name = forms.CharField(label=_("Name"), max_length=100)
    is_active = forms.BooleanField(
        label=_("Active"), required=False, help_text=_("Untick to pause the sync both ways.")
    )
    demo_mode = forms.BooleanField(
        label=_("Demo mode"),
        required=False,
        help_text=_("Nothing leaves the server; pushes and pulls are simulated."),
    )

    def __init__(self, *args, connection, **kwargs):
        super().__init__(*args, **kwargs)
        self.connection = connection
        cls = connector_class(connection.kind)
        stored = connection.settings
        for spec in cls.settings_fields:
            help_text = spec.help_text
            if spec.secret:
                widget = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
                if stored.get(spec.name):
                    help_text = _("Stored (hidden). Leave blank to keep it.")
            else:
                widget = forms.TextInput
            self.fields[f"setting_{spec.name}"] = forms.CharField(
                label=spec.label,
                required=False,
                widget=widget,
                help_text=help_text,
                initial="" if spec.secret else stored.get(spec.name, spec.default),
                max_length=2000,
            )
        mapping = {**cls.default_mapping, **connection.field_mapping}
        for name, label in PRM_FIELDS.items():
            self.fields[f"map_{name}"] = forms.CharField(
                label=label,
                required=False,
                max_length=200,
                initial=mapping.get(name, ""),
            )
        self.stage_names = list(cls.default_stages) + [
            stage for stage in connection.stage_mapping if stage not in cls.default_stages
        ]
        stages = {**cls.default_stages, **connection.stage_mapping}
        for index, stage in enumerate(self.stage_names):
            self.fields[f"stage_{index}"] = forms.ChoiceField(
                label=stage, choices=sales_stages(), initial=stages.get(stage)
            )
        self.fields["other_stages"] = forms.CharField(
            label=_("Other CRM stages"),
            required=False,
            widget=forms.Textarea(attrs={"rows": 3}),
            help_text=_(
                "One per line: the CRM's stage = a PRM stage, e.g. “Demo booked = Discovery”."
            ),
        )

    def general_fields(self):
        return [self[name] for name in ("name", "is_active", "demo_mode")]

    def settings_fields(self):
        return [self[name] for name in self.fields if name.startswith("setting_")]

    def mapping_fields(self):
        return [self[name] for name in self.fields if name.startswith("map_")]

    def stage_fields(self):
        names = [name for name in self.fields if name.startswith("stage_")]
        return [self[name] for name in [*names, "other_stages"]]

    def clean_other_stages(self) -> dict[str, str]:
        by_label = {label.casefold(): value for value, label in sales_stages()}
        by_label.update({value: value for value, _label in sales_stages()})
        extra, bad = {}, []
        for line in self.cleaned_data["other_stages"].splitlines():
            if not line.strip():
                continue
            stage, _sep, ours = line.partition("=")
            value = by_label.get(ours.strip().casefold())
            if not stage.strip() or value is None:
                bad.append(line.strip())
            else:
                extra[stage.strip()] = value
        if bad:
            raise forms.ValidationError(
                _("Write each line as “CRM stage = PRM stage” (one of: %(stages)s): %(lines)s")
                % {
                    "stages": ", ".join(str(label) for _value, label in sales_stages()),
                    "lines": "; ".join(bad),
                }
            )
        return extra

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("demo_mode"):
            from .connections import clean_settings

            values = {
                name.removeprefix("setting_"): value
                for name, value in cleaned.items()
                if name.startswith("setting_")
            }
            try:
                clean_settings(self.connection.kind, values, self.connection.settings)
            except forms.ValidationError as error:
                self.add_service_errors(error)
        return cleaned

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        stages = {stage: data[f"stage_{index}"] for index, stage in enumerate(self.stage_names)}
        return {
            "name": data["name"],
            "is_active": data["is_active"],
            "demo_mode": data["demo_mode"],
            "settings": {
                name.removeprefix("setting_"): value
                for name, value in data.items()
                if name.startswith("setting_")
            },
            "field_mapping": {
                name.removeprefix("map_"): value
                for name, value in data.items()
                if name.startswith("map_")
            },
            "stage_mapping": {**stages, **data["other_stages"]},
        }

    def add_service_errors(self, error) -> None:
        """A service's ValidationError: settings errors go to their `setting_` field."""
        if not hasattr(error, "error_dict"):
            self.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            for name in (field, f"setting_{field}"):
                if name in self.fields:
                    self.add_error(name, errors)
                    break
            else:
                self.add_error(None, errors)


class SyncLogFilter(django_filters.FilterSet):
    direction = django_filters.ChoiceFilter(
        choices=SyncDirection.choices, label=_("What"), empty_label=_("Everything")
    )
    outcome = django_filters.ChoiceFilter(
        choices=[("ok", _("Succeeded")), ("error", _("Failed"))],
        label=_("Outcome"),
        empty_label=_("Any outcome"),
        method="filter_outcome",
    )

    class Meta:
        model = CrmSyncLog
        fields = []

    def filter_outcome(self, queryset, name, value):
        return queryset.filter(ok=value == "ok") if value else queryset
