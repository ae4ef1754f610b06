"""The upload form: it checks the file's shape; the import's rules live in the services."""

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .models import ImportJob
from .reading import MAX_BYTES, megabytes


class SpreadsheetUploadForm(forms.Form):
    """One XLSX or CSV file of at most ``MAX_BYTES``; also the other apps' uploads (the
    district's score sheet)."""

    file = forms.FileField(
        label=gettext_lazy("File"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,text/csv"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Translated when the form is made, in the request's language, with the limit in it.
        self.fields["file"].help_text = _(
            "XLSX, or CSV saved as UTF-8 or from Excel on Chinese Windows; at most %(limit)s."
        ) % {"limit": megabytes(MAX_BYTES)}

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s; split it."),
                params={"limit": megabytes(MAX_BYTES)},
            )
        if not upload.name.lower().endswith((".csv", ".xlsx")):
            raise forms.ValidationError(_("Upload a .xlsx or .csv file."))
        return upload


class ImportUploadForm(SpreadsheetUploadForm):
    field_order = ["kind", "file"]

    kind = forms.ChoiceField(
        label=gettext_lazy("The file holds"),
        choices=ImportJob.Kind.choices,
        widget=forms.RadioSelect,
    )
