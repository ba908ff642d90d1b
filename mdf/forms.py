"""Forms of MDF pages: requests, claims, decisions, payouts (partner and console), funds and
allocations (console), and the list filters. The services validate again; forms give the
fields their words and widgets."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from partners.models import PartnerOrganization
from tenancy.common.currencies import currency_choices
from tenancy.templatetags.ui import money as money_text

from .models import (
    ActivityType,
    CarryOver,
    ClaimFileKind,
    Fund,
    FundPeriod,
    FundRequest,
    PayoutMethod,
    RequestStatus,
)


def _date(label):
    return forms.DateField(label=label, widget=forms.DateInput(attrs={"type": "date"}))


def _money(label, *, required=True, help_text=""):
    return forms.DecimalField(
        label=label,
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=required,
        help_text=help_text,
    )


class RequestForm(forms.Form):
    allocation = forms.ModelChoiceField(
        label=_("Fund"), queryset=None, to_field_name="uuid", empty_label=None
    )
    title = forms.CharField(label=_("Activity"), max_length=200)
    activity_type = forms.ChoiceField(label=_("Type"), choices=ActivityType.choices)
    starts_on = _date(_("Starts on"))
    ends_on = _date(_("Ends on"))
    amount = _money(_("Amount requested"))
    expected_leads = forms.IntegerField(label=_("Expected leads"), min_value=0, initial=0)
    expected_pipeline = _money(
        _("Expected pipeline"), required=False, help_text=_("Opportunity value you expect.")
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you will do, for whom, and how you will follow up the leads."),
    )
    comment = forms.CharField(
        label=_("What changed"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args, allocations, resubmit: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["allocation"].queryset = allocations
        # The fund with what is left to ask for, in its currency ("MDF H2 — 18,680.90 USD
        # available"), so the partner sizes the request before sending it.
        self.fields["allocation"].label_from_instance = lambda a: (
            _("%(fund)s — %(available)s available (activities %(start)s to %(end)s)")
            % {
                "fund": a.fund,
                "available": money_text(a.available, a.fund.currency),
                "start": date_format(a.fund.starts_on, "DATE_FORMAT"),
                "end": date_format(a.fund.ends_on, "DATE_FORMAT"),
            }
        )
        if resubmit:
            del self.fields["allocation"]
        else:
            del self.fields["comment"]

    @classmethod
    def for_request(cls, fund_request: FundRequest, data=None):
        initial = {
            name: getattr(fund_request, name)
            for name in (
                "title",
                "activity_type",
                "starts_on",
                "ends_on",
                "amount",
                "expected_leads",
                "expected_pipeline",
                "description",
            )
        }
        return cls(data, initial=initial, allocations=None, resubmit=True)


class ClaimForm(forms.Form):
    spent = _money(_("Amount spent"))
    spent_currency = forms.ChoiceField(label=_("Currency"), choices=())
    leads = forms.IntegerField(label=_("Leads generated"), min_value=0, initial=0)
    pipeline = _money(_("Pipeline created"), required=False)
    notes = forms.CharField(
        label=_("Results and notes"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    invoice = forms.FileField(label=_("Invoice"), required=False)
    attendees = forms.FileField(label=_("Attendee list or lead file"), required=False)
    photo = forms.FileField(label=_("Photo or other proof"), required=False)

    FILE_KINDS = {
        "invoice": ClaimFileKind.INVOICE,
        "attendees": ClaimFileKind.ATTENDEES,
        "photo": ClaimFileKind.PHOTO,
    }

    def __init__(self, *args, currency: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["spent_currency"].choices = currency_choices()
        self.fields["spent_currency"].initial = currency
        help_text = _("PDF, PNG, JPEG, Word, Excel or CSV, up to 20 MB each.")
        for name in self.FILE_KINDS:
            self.fields[name].help_text = help_text

    def service_fields(self) -> dict:
        data = dict(self.cleaned_data)
        files = [(kind, data.pop(name)) for name, kind in self.FILE_KINDS.items() if data.get(name)]
        for name in self.FILE_KINDS:
            data.pop(name, None)
        return {**data, "files": files}


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("approve", _("Approve")),
            ("changes", _("Ask for changes")),
            ("reject", _("Reject")),
        ],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose approve, ask for changes or reject.")},
    )
    amount = _money(
        _("Amount approved"),
        required=False,
        help_text=_("Leave empty to approve the full amount requested."),
    )
    comment = forms.CharField(
        label=_("Comment"),
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        help_text=_("Required when rejecting, asking for changes or approving less."),
    )

    def __init__(self, *args, for_claim: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if for_claim:
            self.fields["amount"].help_text = _(
                "Leave empty to approve the full amount claimed (not the amount approved "
                "for the request)."
            )


class CommentForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2}))


class PayoutForm(forms.Form):
    method = forms.ChoiceField(label=_("Method"), choices=PayoutMethod.choices)
    reference = forms.CharField(label=_("Reference"), max_length=120)
    paid_on = _date(_("Paid on"))


class FundForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    period = forms.ChoiceField(label=_("Period"), choices=FundPeriod.choices)
    starts_on = _date(_("Starts on"))
    ends_on = _date(_("Ends on"))
    budget = _money(_("Budget"))
    allocation_cap = _money(
        _("Most per partner"),
        required=False,
        help_text=_("Caps what the tier rules give one partner. Empty: no cap."),
    )
    carry_over = forms.ChoiceField(label=_("At the end of the period"), choices=CarryOver.choices)
    carry_over_pct = forms.DecimalField(
        label=_("Share carried over %"), max_digits=5, decimal_places=2, required=False
    )
    claim_days = forms.IntegerField(
        label=_("Days to claim after an activity ends"), min_value=0, max_value=365, initial=30
    )
    marketing_threshold = _money(
        _("Marketing also approves requests above"),
        required=False,
        help_text=_("Empty: the channel manager's approval is enough."),
    )

    def clean_carry_over_pct(self):
        return self.cleaned_data.get("carry_over_pct") or 0

    @classmethod
    def for_fund(cls, fund: Fund, data=None):
        initial = {name: getattr(fund, name) for name in cls.base_fields}
        return cls(data, initial=initial)


class AllocationForm(forms.Form):
    partner = forms.ModelChoiceField(
        label=_("Partner"), queryset=PartnerOrganization.objects.none(), to_field_name="uuid"
    )
    amount = _money(_("Allocation"))
    note = forms.CharField(label=_("Why"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner"].queryset = PartnerOrganization.objects.order_by("name")


class CarryOverForm(forms.Form):
    into = forms.ModelChoiceField(
        label=_("Carry over into"), queryset=Fund.objects.none(), to_field_name="uuid"
    )

    def __init__(self, *args, fund: Fund, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["into"].queryset = Fund.objects.filter(
            starts_on__gt=fund.ends_on, carried_from__isnull=True
        ).order_by("starts_on")


class RequestFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"), max_length=100)
    status = django_filters.ChoiceFilter(
        choices=RequestStatus.choices, label=_("Status"), empty_label=_("Any status")
    )
    activity_type = django_filters.ChoiceFilter(
        choices=ActivityType.choices, label=_("Type"), empty_label=_("All types")
    )
    # The funds are listed by one plain query (a model choice field reads its queryset through
    # a server-side cursor on PostgreSQL at every render: three round trips).
    fund = django_filters.ChoiceFilter(
        field_name="allocation__fund__uuid", label=_("Fund"), empty_label=_("All funds")
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.filters["fund"].extra["choices"] = _fund_choices  # read when shown or checked


def _fund_choices() -> list[tuple[str, str]]:
    funds = Fund.objects.order_by("-starts_on", "name").values_list("uuid", "name")
    return [(str(uuid), name) for uuid, name in funds]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(partner__name__icontains=value))


class PayoutFilter(django_filters.FilterSet):
    paid_from = django_filters.DateFilter(
        field_name="paid_on",
        lookup_expr="gte",
        label=_("Paid from"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    paid_to = django_filters.DateFilter(
        field_name="paid_on",
        lookup_expr="lte",
        label=_("Paid to"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    method = django_filters.ChoiceFilter(
        choices=PayoutMethod.choices, label=_("Method"), empty_label=_("All methods")
    )
