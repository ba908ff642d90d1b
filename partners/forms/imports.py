"""imports: forms. The upload form only carries the file: the service checks its content."""

from django import forms
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from ..services.imports import MAX_UPLOAD_BYTES


class PartnerImportForm(forms.Form):
    file = forms.FileField(
        label=_("File"),
        help_text=format_lazy(
            _("A .csv or .xlsx file of up to {mb} MB, with the column names in the first row."),
            mb=MAX_UPLOAD_BYTES >> 20,
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
