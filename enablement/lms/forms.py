"""LMS forms: course, module and quiz authoring in the console."""

from __future__ import annotations

from django import forms
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from enablement import limits
from partners.models import PartnerType

from .models import Audience, Course, CourseModule, QuestionKind, Quiz


def _checked(form: forms.Form, name: str, check):
    """The cleaned value of `name`, refused beside the field with the business limit's words."""
    value = form.cleaned_data.get(name)
    if value is not None and (error := check(value)):
        raise forms.ValidationError(error)
    return value


class CourseForm(forms.ModelForm):
    # No column range here: the limit and its words come from enablement.limits.
    estimated_hours = forms.DecimalField(label=_("Estimated hours"), initial=1)
    audiences = forms.MultipleChoiceField(
        label=_("Audience roles"),
        choices=Audience.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None selected: everyone."),
    )
    partner_types = forms.MultipleChoiceField(
        label=_("Partner types"),
        choices=PartnerType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("None selected: every partner type."),
    )

    class Meta:
        model = Course
        fields = [
            "title",
            "summary",
            "audiences",
            "partner_types",
            "estimated_hours",
            "is_foundation",
        ]

    def clean_estimated_hours(self):
        return _checked(self, "estimated_hours", limits.course_hours_error)


class _StoredFile:
    """What the file widget shows for the current file: its original name, linked to the
    access-checked download (stored files have no public URL)."""

    def __init__(self, name: str, url: str) -> None:
        self.name, self.url = name, url

    def __str__(self) -> str:
        return self.name


class StoredFileInput(forms.ClearableFileInput):
    """The current file is shown by its original name and linked to `download_url`."""

    download_url = ""
    display_name = ""

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if self.download_url and self.is_initial(value):
            context["widget"]["value"] = _StoredFile(
                self.display_name or str(value), self.download_url
            )
        return context


class ModuleForm(forms.ModelForm):
    video_url = forms.URLField(label=_("Video link"), required=False, assume_scheme="https")
    position = forms.IntegerField(label=_("Position"), initial=0)
    minutes = forms.IntegerField(label=_("Minutes"), initial=10)

    class Meta:
        model = CourseModule
        fields = ["title", "kind", "position", "body", "video_url", "file", "minutes"]
        widgets = {"body": forms.Textarea(attrs={"rows": 6}), "file": StoredFileInput}
        help_texts = {"file": _("PDF, Office document, PNG, JPEG or MP4; at most 50 MB.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        module = self.instance
        if module.pk and module.file:
            url = reverse("console_learning_module_file", args=[module.course.uuid, module.uuid])
            widget = self.fields["file"].widget
            widget.download_url = url
            widget.display_name = module.file_name

    def clean_position(self):
        return _checked(self, "position", limits.position_error)

    def clean_minutes(self):
        return _checked(self, "minutes", limits.module_minutes_error)


class QuizForm(forms.ModelForm):
    pass_mark_pct = forms.IntegerField(label=_("Pass mark %"), initial=80)
    attempts_allowed = forms.IntegerField(label=_("Attempts allowed"), initial=3)

    class Meta:
        model = Quiz
        fields = ["pass_mark_pct", "attempts_allowed", "randomize"]

    def clean_pass_mark_pct(self):
        return _checked(self, "pass_mark_pct", limits.pass_mark_error)

    def clean_attempts_allowed(self):
        return _checked(self, "attempts_allowed", limits.quiz_attempts_error)


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("Question"), widget=forms.Textarea(attrs={"rows": 2}))
    kind = forms.ChoiceField(label=_("Kind"), choices=QuestionKind.choices)
    choices = forms.CharField(
        label=_("Answers"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One answer per line; start the correct answer(s) with *."),
    )

    def parsed_choices(self) -> list[tuple[str, bool]]:
        result = []
        for line in self.cleaned_data["choices"].splitlines():
            line = line.strip()
            if line:
                correct = line.startswith("*")
                result.append((line.lstrip("*").strip(), correct))
        return result


class PathForm(forms.Form):
    """The learning path of one partner role. Courses run foundation (101) first, then by
    title."""

    role = forms.ChoiceField(label=_("Partner role"))
    name = forms.CharField(label=_("Name"), max_length=160)
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    courses = forms.ModelMultipleChoiceField(
        label=_("Courses"),
        queryset=Course.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, **kwargs):
        from tenancy.roles import PARTNER_ROLES, Role

        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(r.value, r.label) for r in Role if r in PARTNER_ROLES]
        self.fields["courses"].queryset = Course.objects.exclude(status="retired").order_by(
            "-is_foundation", "title"
        )

    def ordered_courses(self) -> list[Course]:
        return sorted(self.cleaned_data["courses"], key=lambda c: (not c.is_foundation, c.title))
