from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Certification, CertificationTrack


class TrackForm(forms.Form):
    name = forms.CharField(label=_("Track name"), max_length=160)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)


class QuizChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.module.course.title} · {obj.module.title}"


class QuizMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.module.course.title} · {obj.module.title}"


class CertificationForm(forms.Form):
    track = forms.ModelChoiceField(label=_("Track"), queryset=CertificationTrack.objects.none())
    name = forms.CharField(label=_("Name"), max_length=160)
    level = forms.IntegerField(label=_("Level"), min_value=1, max_value=10, initial=1)
    description = forms.CharField(label=_("Description"), widget=forms.Textarea, required=False)
    prerequisite = forms.ModelChoiceField(
        label=_("Requires"), queryset=Certification.objects.none(), required=False
    )
    validity_months = forms.IntegerField(
        label=_("Validity (months)"), min_value=1, max_value=120, initial=12
    )
    exams = QuizMultipleChoiceField(label=_("Required exams"), queryset=None)
    recert_exam = QuizChoiceField(label=_("Recertification exam"), queryset=None, required=False)
    reminder_offsets_days = forms.CharField(
        label=_("Reminders (days before expiry)"), initial="60, 30, 7", required=False
    )
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)

    def __init__(self, *args, certification: Certification | None = None, **kwargs):
        from enablement.lms.models import Quiz

        if certification is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "track": certification.track_id,
                "name": certification.name,
                "level": certification.level,
                "description": certification.description,
                "prerequisite": certification.prerequisite_id,
                "validity_months": certification.validity_months,
                "exams": [row.quiz_id for row in certification.exam_rows.all()],
                "recert_exam": certification.recert_exam_id,
                "reminder_offsets_days": ", ".join(
                    str(n) for n in certification.reminder_offsets_days
                ),
                "is_active": certification.is_active,
            }
        super().__init__(*args, **kwargs)
        quizzes = Quiz.objects.select_related("module__course").order_by(
            "module__course__title", "module__position"
        )
        self.fields["track"].queryset = CertificationTrack.objects.all()
        others = Certification.objects.all()
        if certification is not None:
            others = others.exclude(pk=certification.pk)
        self.fields["prerequisite"].queryset = others
        self.fields["exams"].queryset = quizzes
        self.fields["recert_exam"].queryset = quizzes
