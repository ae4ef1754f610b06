"""The bureau's filing package: a form to choose area, cohort and period, and the download.

Only the bureau of the area's municipality and administrators get here; to anyone else the
pages are not there (404), like anything out of scope.
"""

from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from schools.models import PilotArea
from transfers.models import TransferPolicy
from transfers.selectors import policies_visible_to

from .package import (
    filing_areas_visible_to,
    filing_default_period,
    filing_package_build,
    filing_package_xlsx,
)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


#: The cohort years a package can be asked for.
COHORTS = (2000, 2100)


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("Start date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Leave both dates empty for the cohort's first academic year."),
    )
    end = forms.DateField(
        label=_("End date"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise ValidationError(_("The period must end on or after its start."))
        return data


class FilingForm(PeriodForm):
    area: "forms.ModelChoiceField[PilotArea]" = forms.ModelChoiceField(
        label=_("Pilot area"), queryset=None, to_field_name="slug", empty_label=None
    )
    cohort_year = forms.IntegerField(label=_("Cohort"), min_value=COHORTS[0], max_value=COHORTS[1])
    field_order = ["area", "cohort_year", "start", "end"]

    def __init__(self, *args, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].queryset = areas


def _areas_or_404(user):
    areas = filing_areas_visible_to(user)
    if not areas.exists():
        raise Http404
    return areas


@login_required
def filing(request):
    """Choose what to download; a valid choice goes on to the download's address."""
    areas = _areas_or_404(request.user)
    if "area" in request.GET:
        form = FilingForm(request.GET, areas=areas)
        if form.is_valid():
            data = form.cleaned_data
            url = reverse("filing:download", args=[data["area"].slug, data["cohort_year"]])
            period = {k: data[k].isoformat() for k in ("start", "end") if data[k]}
            return redirect(f"{url}?{urlencode(period)}" if period else url)
    else:
        latest = (
            policies_visible_to(request.user)
            .filter(pilot_area__in=areas, state=TransferPolicy.State.PUBLISHED)
            .order_by("-cohort_year")
            .values_list("cohort_year", flat=True)
            .first()
        )
        form = FilingForm(areas=areas, initial={"cohort_year": latest or timezone.localdate().year})
    return render(request, "filing/form.html", {"form": form})


def _refused(request, *, area, cohort_year, errors) -> HttpResponse:
    """The form again, filled in as asked, with what was wrong with it."""
    data = {**request.GET.dict(), "area": area.slug, "cohort_year": cohort_year}
    form = FilingForm(data, areas=filing_areas_visible_to(request.user))
    form.is_valid()
    for error in errors:
        form.add_error(None, error)
    return render(request, "filing/form.html", {"form": form}, status=400)


@never_cache  # names and scores of students: no shared or browser cache keeps a copy
@login_required
def filing_download(request, area: str, cohort_year: int):
    pilot_area = get_object_or_404(_areas_or_404(request.user), slug=area)
    if not COHORTS[0] <= cohort_year <= COHORTS[1]:
        raise Http404  # no such cohort: the form offers these years only
    period = PeriodForm(request.GET)
    if not period.is_valid():
        return _refused(request, area=pilot_area, cohort_year=cohort_year, errors=[])
    default_start, default_end = filing_default_period(cohort_year)
    start = period.cleaned_data["start"] or default_start
    end = period.cleaned_data["end"] or default_end
    try:
        package = filing_package_build(
            user=request.user, area=pilot_area, cohort_year=cohort_year, start=start, end=end
        )
    except ValidationError as exc:
        return _refused(request, area=pilot_area, cohort_year=cohort_year, errors=exc.messages)
    response = HttpResponse(filing_package_xlsx(package=package), content_type=XLSX)
    filename = f"filing-{pilot_area.slug}-{cohort_year}-{start:%Y%m%d}-{end:%Y%m%d}.xlsx"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
