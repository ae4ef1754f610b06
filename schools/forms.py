"""Forms check the shape of what people type; the rules live in the services."""

from django import forms
from django.utils.translation import gettext_lazy

from .models import School


class AdmissionLineForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Exam year"), min_value=2000, max_value=2100)
    school = forms.ModelChoiceField(
        label=gettext_lazy("School"),
        queryset=School.objects.none(),
        required=False,
        empty_label=gettext_lazy("The city's minimum line"),
    )
    score = forms.DecimalField(
        label=gettext_lazy("Line"), max_digits=5, decimal_places=1, min_value=0
    )

    def __init__(self, *args, schools, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["school"].queryset = schools.order_by("code")
