"""The upload form: it checks the file's shape; the import's rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy as _

from ..models import ImportJob
from .reading import MAX_BYTES


class ImportUploadForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("The file holds"), choices=ImportJob.Kind.choices, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=_("File"),
        help_text=_("XLSX, or CSV saved as UTF-8 or from Excel on Chinese Windows; at most 10 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 10 MB; split it."))
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .xlsx or .csv file."))
        return upload
