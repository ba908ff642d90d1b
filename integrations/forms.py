from __future__ import annotations

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from tenancy.events import EVENT_TYPES
from tenancy.outbox import DeliveryStatus

from .models import WebhookDelivery
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
