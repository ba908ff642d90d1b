"""Forms of the partner-organisation area: profile (console and portal), contacts, lifecycle moves,
the directory filters and the public application form."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _

from tenancy import selectors as tenancy_selectors
from tenancy.access import Actor
from tenancy.common.forms import BLANK, CommaListField, country_choices
from tenancy.roles import Role

from ..models import (
    ContactRole,
    EmployeeBand,
    LifecycleState,
    PartnerType,
    Region,
    RevenueBand,
    SalesMotion,
)
from .limits import PEOPLE_MAX, PEOPLE_MESSAGE, limit

# The honeypot: a text input people never see (hidden by CSS, skipped by keyboard and screen
# readers). Bots that fill every field fill it too.
HONEYPOT_FIELD = "fax_number"


def _checkboxes(choices, **kwargs):
    return forms.MultipleChoiceField(choices=choices, widget=forms.CheckboxSelectMultiple, **kwargs)


class PartnerProfileForm(forms.Form):
    """One form for both surfaces; `channel_manager` only for actors who may assign one."""

    name = forms.CharField(label=_("Name"), max_length=200)
    legal_name = forms.CharField(label=_("Legal name"), max_length=250, required=False)
    website = forms.URLField(label=_("Website"), required=False, assume_scheme="https")
    logo_url = forms.URLField(label=_("Logo URL"), required=False, assume_scheme="https")
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    hq_country = forms.ChoiceField(label=_("HQ country"), required=False, choices=country_choices)
    regions = _checkboxes(Region.choices, label=_("Regions served"), required=False)
    industries = CommaListField(label=_("Industries"))
    employee_band = forms.ChoiceField(
        label=_("Employees"), required=False, choices=BLANK + EmployeeBand.choices
    )
    revenue_band = forms.ChoiceField(
        label=_("Annual revenue"), required=False, choices=BLANK + RevenueBand.choices
    )
    partner_type = forms.ChoiceField(label=_("Primary partner type"), choices=PartnerType.choices)
    partner_types = _checkboxes(
        PartnerType.choices, label=_("All partner types it plays"), required=False
    )
    skills = CommaListField(label=_("Specialisations / skills"))
    sales_motion = forms.ChoiceField(
        label=_("Sales motion"), required=False, choices=BLANK + SalesMotion.choices
    )
    co_marketing = forms.BooleanField(label=_("Willing to co-market"), required=False)
    planned_certified_staff = limit(
        forms.IntegerField(label=_("Staff they plan to certify"), initial=0),
        0,
        PEOPLE_MAX,
        PEOPLE_MESSAGE,
    )

    def __init__(
        self,
        *args,
        partner=None,
        actor: Actor | None = None,
        can_assign: bool = False,
        staff_only_fields: bool = True,
        **kw,
    ):
        if partner is not None and "initial" not in kw:
            kw["initial"] = self.initial_for(partner)
        super().__init__(*args, **kw)
        if not staff_only_fields:
            # Partner admins: the primary type drives what the program gives them; staff set it.
            del self.fields["partner_type"]
        if can_assign and actor is not None:
            staff = tenancy_selectors.team_members(actor).filter(
                role__in=(Role.CHANNEL_MANAGER, Role.PROGRAM_ADMIN), is_active=True
            )
            self.fields["channel_manager"] = forms.ModelChoiceField(
                label=_("Channel manager"),
                required=False,
                queryset=get_user_model()
                .objects.filter(pk__in=staff.values("user_id"))
                .order_by("email"),
            )
            if partner is not None:
                self.initial.setdefault("channel_manager", partner.channel_manager_id)

    @classmethod
    def initial_for(cls, partner) -> dict:
        data = {name: getattr(partner, name) for name in cls.base_fields}
        data["hq_country"] = partner.hq_country.code or ""
        return data


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    email = forms.EmailField(label=_("Email"), max_length=254)
    title = forms.CharField(label=_("Job title"), max_length=120, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    role = forms.ChoiceField(label=_("Role"), choices=ContactRole.choices)

    def __init__(self, *args, partner=None, **kwargs):
        super().__init__(*args, **kwargs)
        primary = None
        if partner is not None:
            primary = next(
                (c for c in partner.contacts.all() if c.role == ContactRole.PRIMARY), None
            )
        if primary is None:
            self.fields["role"].initial = ContactRole.PRIMARY
        else:
            # One primary contact per partner: suggest another role, say what "Primary" does.
            self.fields["role"].initial = ContactRole.OTHER
            self.fields["role"].help_text = _(
                "%(name)s is the primary contact; choosing Primary makes this contact the "
                "primary one instead (%(name)s becomes Other)."
            ) % {"name": escape(primary.name)}  # help text is rendered as HTML


class TransitionForm(forms.Form):
    to_state = forms.ChoiceField(choices=LifecycleState.choices)
    reason = forms.CharField(
        label=_("Reason"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class ApplicationForm(forms.Form):
    """The public application form (anonymous visitors at the tenant's host)."""

    company_name = forms.CharField(label=_("Company name"), max_length=200)
    website = forms.URLField(
        label=_("Company website"),
        assume_scheme="https",
        help_text=_("We use it to recognise your company, e.g. https://example.com."),
    )
    country = forms.ChoiceField(label=_("Headquarters country"), choices=country_choices)
    regions = _checkboxes(Region.choices, label=_("Regions you serve"))
    partner_types = _checkboxes(PartnerType.choices, label=_("How would you like to partner?"))
    employee_band = forms.ChoiceField(
        label=_("Number of employees"), choices=BLANK + EmployeeBand.choices
    )
    skills = CommaListField(
        label=_("Specialisations / skills"),
        help_text=_("For example: Kubernetes, Security audits, Healthcare. Separate with commas."),
    )
    contact_name = forms.CharField(label=_("Your name"), max_length=200)
    contact_email = forms.EmailField(label=_("Your work email"))
    contact_title = forms.CharField(label=_("Your job title"), max_length=120, required=False)
    message = forms.CharField(
        label=_("Anything you would like us to know?"),
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    @staticmethod
    def is_bot(data) -> bool:
        return bool((data.get(HONEYPOT_FIELD) or "").strip())
