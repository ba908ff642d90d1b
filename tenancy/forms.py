import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from . import access
from .access import Actor
from .api.scopes import scope_choices
from .models import Notification, NotificationChannel, member_organization_model
from .roles import PARTNER_ROLES, Role


def _role_choices(actor: Actor):
    grantable = access.GRANTABLE_ROLES.get(actor.role or "", frozenset())
    return [(value, label) for value, label in Role.choices if value in grantable]


class _PartnerOrgChoiceMixin:
    """A partner-organisation picker for console users; partner admins use their own org."""

    def _setup_partner_org(self, actor: Actor) -> None:
        if actor.is_partner:
            del self.fields["partner_organization"]
        else:
            organizations = member_organization_model().objects.order_by("name")
            self.fields["partner_organization"].queryset = access.scope_partner_organizations(
                actor, organizations
            )

    def clean(self):
        cleaned = super().clean()
        role = cleaned.get("role")
        if "partner_organization" in self.fields and role:
            org = cleaned.get("partner_organization")
            if role in PARTNER_ROLES and org is None:
                self.add_error(
                    "partner_organization", _("Choose the partner organisation for a partner role.")
                )
            if role not in PARTNER_ROLES and org is not None:
                self.add_error(
                    "partner_organization", _("Vendor staff do not belong to a partner.")
                )
        return cleaned


class InvitationForm(_PartnerOrgChoiceMixin, forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"))
    partner_organization = forms.ModelChoiceField(
        label=_("Partner organisation"), queryset=None, required=False
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(actor)
        self._setup_partner_org(actor)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"))

    def __init__(self, *args, actor: Actor, membership, **kwargs):
        super().__init__(*args, **kwargs)
        same_side = (
            PARTNER_ROLES if membership.is_partner else set(Role.values) - set(PARTNER_ROLES)
        )
        self.fields["role"].choices = [c for c in _role_choices(actor) if c[0] in same_side]


class ApiKeyForm(_PartnerOrgChoiceMixin, forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    role = forms.ChoiceField(label=_("Acts as"))
    partner_organization = forms.ModelChoiceField(
        label=_("Partner organisation (for a partner key)"), queryset=None, required=False
    )
    scopes = forms.MultipleChoiceField(
        label=_("Access"),
        widget=forms.CheckboxSelectMultiple,
        initial=["*"],
        required=False,  # none ticked: everything its role allows
        help_text=_(
            "Limit the key to what the integration needs: read and write means what its role "
            "may do in that area; nothing beyond its role, whatever is ticked."
        ),
    )

    def __init__(self, *args, actor: Actor, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = _role_choices(actor)
        self.fields["scopes"].choices = scope_choices()
        self._setup_partner_org(actor)

    def clean_scopes(self) -> list[str]:
        chosen = self.cleaned_data["scopes"]
        if "*" in chosen and len(chosen) > 1:
            raise forms.ValidationError(
                _("Untick “Everything its role allows” to limit the key to the areas ticked.")
            )
        return chosen or ["*"]


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(label=_("Your name"), max_length=200)
    password1 = forms.CharField(label=_("Password"), widget=forms.PasswordInput)
    password2 = forms.CharField(label=_("Password (again)"), widget=forms.PasswordInput)

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("password1") and cleaned.get("password1") != cleaned.get("password2"):
            self.add_error("password2", _("The two passwords differ."))
        return cleaned


# --- Notifications -----------------------------------------------------------------------------


class NotificationFilter(django_filters.FilterSet):
    """The filters of /notifications/: read or unread, and the kind of event."""

    state = django_filters.ChoiceFilter(
        label=_("Show"),
        empty_label=_("All"),
        choices=[("unread", _("Unread")), ("read", _("Read"))],
        method="filter_state",
    )
    kind = django_filters.ChoiceFilter(label=_("Kind"), empty_label=_("All kinds"), choices=[])

    class Meta:
        model = Notification
        fields = ["state", "kind"]

    def __init__(self, *args, **kwargs):
        from .notifications import notification_kinds

        super().__init__(*args, **kwargs)
        self.filters["kind"].extra["choices"] = notification_kinds()

    def filter_state(self, queryset, name, value):
        return queryset.filter(read_at__isnull=(value == "unread"))


def channel_field_name(kind: str) -> str:
    return f"channel_{kind}"


class NotificationPreferencesForm(forms.Form):
    """A member's channel for every kind of event (or their default), and their time zone."""

    default = forms.ChoiceField(
        label=_("Unless chosen below"), choices=NotificationChannel.choices, required=False
    )
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    def __init__(
        self,
        *args,
        membership,
        tenant,
        preferences: dict[str, str],
        program_zone_editable: bool = False,
        **kwargs,
    ):
        from .notifications import notification_kinds
        from .timezones import time_zone_choices, zone_for

        program_zone = zone_for(None, tenant).key
        initial = {
            "default": preferences.get("", NotificationChannel.BOTH),
            "time_zone": membership.time_zone,
        }
        for kind, _label in notification_kinds():
            initial[channel_field_name(kind)] = preferences.get(kind, "")
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["time_zone"].choices = [
            ("", _("The program's (%(zone)s)") % {"zone": program_zone.replace("_", " ")}),
            *time_zone_choices(),
        ]
        if program_zone_editable:
            self.fields["program_time_zone"] = forms.ChoiceField(
                label=_("The program's time zone"),
                choices=time_zone_choices(),
                initial=program_zone,
                help_text=_("For every member who has not chosen their own."),
            )
        self.kind_fields = []
        for kind, label in notification_kinds():
            name = channel_field_name(kind)
            self.fields[name] = forms.ChoiceField(
                label=label,
                choices=[("", _("As above")), *NotificationChannel.choices],
                required=False,
            )
            self.kind_fields.append(name)

    @property
    def kind_bound_fields(self):
        return [self[name] for name in self.kind_fields]

    def channels(self) -> dict[str, str]:
        """{kind or "" (the default): channel or "" (as the default)} from the cleaned data."""
        from .notifications import notification_kinds

        chosen = {"": self.cleaned_data.get("default") or NotificationChannel.BOTH}
        for kind, _label in notification_kinds():
            chosen[kind] = self.cleaned_data.get(channel_field_name(kind), "")
        return chosen
