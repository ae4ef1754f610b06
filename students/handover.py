"""The hand-over page: the district, the bureau or the school in whose hands a student with
no active registration is, hands them to another school of the city, saying why."""

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from schools.access import role_required
from schools.models import School, User

from .selectors import custodian_school, student_get_for_user
from .services import may_hand_over, student_hand_over


class HandoverForm(forms.Form):
    to_school = forms.ModelChoiceField(
        queryset=School.objects.none(), label=gettext_lazy("Hand over to")
    )
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        min_length=4,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Kept in the student's history, with your name."),
    )

    def __init__(self, *args, holder: School, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["to_school"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = (
            School.objects.filter(municipality_id=holder.municipality_id)
            .exclude(pk=holder.pk)
            .order_by("code")
        )


@role_required(User.Role.REGISTRAR, User.Role.DISTRICT, User.Role.BUREAU, superuser=True)
def student_hand_over_page(request, pk: int):
    student = student_get_for_user(user=request.user, pk=pk)
    holder_id = custodian_school(student)
    if holder_id is None or not may_hand_over(request.user, student):
        raise PermissionDenied
    holder = School.objects.get(pk=holder_id)
    form = HandoverForm(request.POST or None, holder=holder)
    if request.method == "POST" and form.is_valid():
        try:
            student_hand_over(
                actor=request.user,
                student=student,
                to_school=form.cleaned_data["to_school"],
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("%(name)s is handed over to %(school)s.")
                % {"name": student.name, "school": form.cleaned_data["to_school"].name},
            )
            return redirect(student.get_absolute_url())
    return render(
        request, "students/hand_over.html", {"student": student, "holder": holder, "form": form}
    )
