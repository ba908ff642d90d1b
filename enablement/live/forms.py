"""Forms of live sessions. Times are entered in the viewer's time zone (activated by the view)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from enablement import limits
from enablement.lms.models import Course
from tenancy.models import Membership, User
from tenancy.roles import VENDOR_ROLES

from .models import LiveSession


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


class LiveSessionForm(forms.ModelForm):
    join_url = forms.URLField(label=_("join URL"), required=False, assume_scheme="https")
    # Querysets are set per request: the tenant is only known then.
    instructor = forms.ModelChoiceField(
        label=_("instructor account"), queryset=User.objects.none(), required=False
    )
    course = forms.ModelChoiceField(
        label=_("course"), queryset=Course.objects.none(), required=False
    )
    capacity = forms.IntegerField(label=_("capacity"), initial=20)

    class Meta:
        model = LiveSession
        fields = [
            "title",
            "description",
            "instructor_name",
            "instructor",
            "course",
            "starts_at",
            "ends_at",
            "location",
            "join_url",
            "capacity",
        ]
        widgets = {
            "starts_at": DateTimeLocalInput(),
            "ends_at": DateTimeLocalInput(),
            "description": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "instructor": _("Vendor staff account of the instructor: lets them take attendance."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        staff_ids = Membership.objects.filter(role__in=sorted(VENDOR_ROLES), is_active=True).values(
            "user_id"
        )
        self.fields["instructor"].queryset = User.objects.filter(pk__in=staff_ids)
        self.fields["course"].queryset = Course.objects.all()
        for name in ("starts_at", "ends_at"):
            self.fields[name].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]

    def clean_capacity(self):
        capacity = self.cleaned_data.get("capacity")
        if capacity is not None and (error := limits.session_capacity_error(capacity)):
            raise forms.ValidationError(error)
        return capacity

    def clean(self):
        cleaned = super().clean()
        starts_at, ends_at = cleaned.get("starts_at"), cleaned.get("ends_at")
        errors = limits.session_time_errors(starts_at, ends_at)
        if self.instance.pk and starts_at == self.instance.starts_at:
            errors.pop("starts_at", None)  # an old session stays editable while its date stays
        for name, message in errors.items():
            if name not in self.errors:
                self.add_error(name, message)
        return cleaned
