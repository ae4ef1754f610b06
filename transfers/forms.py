"""Forms check the shape of what people type; the rules live in the services."""

import re
from decimal import Decimal
from typing import cast

from django import forms
from django.core.validators import RegexValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from schools.models import Major, ProgrammeType, School

from .models import AssessmentComponent, Direction, NameMasking, TransferPolicy, WindowTerm
from .rules import DEFAULT_PACK, PACKS
from .services import ComponentSpec, QuotaSpec


class DateTimeLocalInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%dT%H:%M", **kwargs)


#: The pack's settings the form shows, beyond the fields it has always had.
RULE_FIELDS = [
    "window_term",
    "terms_g2v",
    "terms_v2g",
    "window_lead_days",
    "transfer_back",
    "assessor",
    "entrance_line",
    "required_passes",
    "excluded_programmes",
    "notice_working_days",
]
LIST_SPLIT = r"[,，、;；]"


class PolicyForm(forms.ModelForm):
    """A version's settings. Those its rule pack fixes are shown and cannot be changed here
    (the service refuses them too); a new policy takes the pack chosen on the page."""

    BY_SUBMISSION, BY_COMPONENTS = "submission", "components"

    rule_pack = forms.ChoiceField(label=_("Rule pack"), widget=forms.HiddenInput, required=False)
    terms_g2v = forms.MultipleChoiceField(
        label=_("Windows for general → vocational"),
        choices=WindowTerm.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    terms_v2g = forms.MultipleChoiceField(
        label=_("Windows for vocational → general"),
        choices=WindowTerm.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    excluded_programmes = forms.MultipleChoiceField(
        label=_("Programmes not open to students moving into a vocational school"),
        choices=ProgrammeType.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    required_passes = forms.CharField(
        label=_("Proficiency tests (学考) to pass for a move into a general school"),
        required=False,
        max_length=200,
        help_text=_("Subjects separated by commas, e.g. 化学, 地理, 生物; empty for none."),
    )

    tie_break_method = forms.ChoiceField(
        label=_("Equal totals are ranked"),
        choices=[
            (BY_SUBMISSION, _("by the earlier submission")),
            (
                BY_COMPONENTS,
                _("by the scores of the subjects below, in order, then by the earlier submission"),
            ),
        ],
        widget=forms.RadioSelect,
    )
    tie_break_components = forms.CharField(
        label=_("Subjects that break a tie, in order"),
        required=False,
        max_length=300,
        help_text=_(
            "The subjects' names as in the standards, separated by commas, e.g. 语文, 数学, 英语."
        ),
    )

    class Meta:
        model = TransferPolicy
        fields = [
            "title",
            "cohort_year",
            "window_opens",
            "window_closes",
            "min_first_semester_credits",
            "notice_days",
            "max_choices",
            "max_applications",
            "name_masking",
            *RULE_FIELDS,
        ]
        widgets = {"window_opens": DateTimeLocalInput(), "window_closes": DateTimeLocalInput()}

    def __init__(self, *args, pack: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pack = PACKS[self.instance.rule_pack if self.instance.pk else pack or DEFAULT_PACK]
        cast(forms.ChoiceField, self.fields["rule_pack"]).choices = [
            (key, p.title) for key, p in PACKS.items()
        ]
        self.fields["rule_pack"].initial = self.pack.key
        if self.instance.pk:
            self.fields["rule_pack"].disabled = True
            self.initial["required_passes"] = ", ".join(self.instance.required_passes)
        else:
            for name, rule in self.pack.rules.items():
                value = rule.value
                self.initial[name] = ", ".join(value) if name == "required_passes" else value
        for name, rule in self.pack.rules.items():
            if not rule.local and name in self.fields:
                # What the pack fixes: shown, with its source, and not to be changed here.
                field = self.fields[name]
                field.disabled = True
                field.required = False
                field.help_text = _("Set by the pack: %(source)s") % {"source": rule.source.text()}
        for name in ("window_term", "window_lead_days", "transfer_back", "notice_working_days"):
            self.fields[name].required = False
        for name in ("window_opens", "window_closes"):
            cast(forms.DateTimeField, self.fields[name]).input_formats = [
                "%Y-%m-%dT%H:%M",
                "%Y-%m-%d %H:%M",
            ]
        # Left out, the names are masked the usual way (张*三).
        self.fields["name_masking"].required = False
        self.fields["max_choices"].required = False
        self.fields["max_applications"].required = False
        if self.instance.pk:
            self.fields["cohort_year"].disabled = True
            tie_break = self.instance.tie_break
            if tie_break is not None:
                self.initial["tie_break_method"] = (
                    self.BY_COMPONENTS if tie_break else self.BY_SUBMISSION
                )
                self.initial["tie_break_components"] = ", ".join(tie_break)

    def clean_required_passes(self):
        value = self.cleaned_data.get("required_passes")
        if isinstance(value, list):  # disabled: the pack's own list
            return value
        return [name.strip() for name in re.split(LIST_SPLIT, value or "") if name.strip()]

    def clean(self):
        data = super().clean()
        data["rule_pack"] = data.get("rule_pack") or self.pack.key
        data["name_masking"] = data.get("name_masking") or NameMasking.MIDDLE
        data["max_choices"] = data.get("max_choices") or self.pack.rules["max_choices"].value
        data["max_applications"] = (
            data.get("max_applications") or self.pack.rules["max_applications"].value
        )
        for name in ("window_term", "window_lead_days", "transfer_back"):
            if data.get(name) in (None, ""):
                data[name] = (
                    getattr(self.instance, name)
                    if self.instance.pk
                    else self.pack.rules[name].value
                )
        method = data.pop("tie_break_method", None)
        names = [
            name.strip()
            for name in re.split(LIST_SPLIT, data.pop("tie_break_components", "") or "")
            if name.strip()
        ]
        if method == self.BY_COMPONENTS and not names:
            self.add_error("tie_break_components", _("Name the subjects that break a tie."))
        if method is not None:
            data["tie_break"] = names if method == self.BY_COMPONENTS else []
        return data


class ComponentForm(forms.Form):
    direction = forms.ChoiceField(label=_("Direction"), choices=Direction.choices)
    kind = forms.ChoiceField(label=_("Kind"), choices=AssessmentComponent.Kind.choices)
    name = forms.CharField(label=_("Subject"), max_length=50)
    max_score = forms.DecimalField(
        label=_("Maximum score"), min_value=1, max_digits=5, decimal_places=1
    )
    pass_mark = forms.DecimalField(
        label=_("Pass mark"), min_value=0, max_digits=5, decimal_places=1
    )
    weight = forms.DecimalField(
        label=_("Weight"), min_value=Decimal("0.01"), max_digits=4, decimal_places=2
    )

    def clean(self):
        data = super().clean()
        pass_mark, max_score = data.get("pass_mark"), data.get("max_score")
        if pass_mark is not None and max_score is not None and pass_mark > max_score:
            self.add_error("pass_mark", _("The pass mark cannot exceed the maximum score."))
        return data

    def spec(self) -> ComponentSpec:
        d = self.cleaned_data
        return ComponentSpec(
            d["direction"], d["kind"], d["name"], d["max_score"], d["pass_mark"], d["weight"]
        )


class QuotaForm(forms.Form):
    school = forms.ModelChoiceField(label=_("Receiving school"), queryset=School.objects.none())
    major = forms.ModelChoiceField(label=_("Major"), queryset=Major.objects.none())
    seats = forms.IntegerField(
        label=_("Seats"),
        min_value=0,
        max_value=999,
        help_text=_("0 says the school offers no seats in this major."),
    )

    def __init__(self, *args, pilot_area=None, **kwargs):
        super().__init__(*args, **kwargs)
        if pilot_area is not None:
            self.fields["school"].queryset = School.objects.filter(pilot_area=pilot_area)
            self.fields["major"].queryset = Major.objects.filter(
                pairings__pilot_area=pilot_area
            ).distinct()

    def spec(self) -> QuotaSpec:
        d = self.cleaned_data
        return QuotaSpec(d["school"], d["major"], d["seats"])


#: The most rows either table takes (the add-a-row button keeps as many): a posted count of
#: thousands would otherwise build and render thousands of forms.
MAX_ROWS = 50
ComponentFormSet = forms.formset_factory(
    ComponentForm,
    extra=2,
    min_num=1,
    validate_min=True,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
    can_delete=True,
)
QuotaFormSet = forms.formset_factory(
    QuotaForm,
    extra=2,
    min_num=1,
    validate_min=True,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
    can_delete=True,
)


def formset_specs(formset) -> list:
    """The filled-in rows: blank extra rows have no cleaned data; ticked rows are removed."""
    return [
        form.spec()
        for form in formset.forms
        if form.cleaned_data and not form.cleaned_data.get("DELETE")
    ]


class PolicyReviewForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("return", _("Return for changes"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


phone_validator = RegexValidator(r"^1\d{10}$", _("Enter an 11-digit mobile number."))


class ApplyForm(forms.Form):
    to_major = forms.ModelChoiceField(
        label=_("Major at the paired school"), queryset=Major.objects.none(), empty_label=None
    )
    reason = forms.CharField(
        label=_("Why do you want to change school?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
    )
    guardian_name = forms.CharField(label=_("Guardian's name"), max_length=50)
    guardian_relation = forms.CharField(
        label=_("Relation to you"), max_length=20, help_text=_("For example: father, mother.")
    )
    guardian_phone = forms.CharField(
        label=_("Guardian's mobile phone"), max_length=11, validators=[phone_validator]
    )
    guardian_consent_date = forms.DateField(
        label=_("Date your guardian agreed"), widget=forms.DateInput(attrs={"type": "date"})
    )
    guardian_consents = forms.BooleanField(
        label=_("My guardian has read the policy and agrees to this application.")
    )
    understands_once_only = forms.BooleanField(
        label=_("I understand that I can apply to change school only once.")
    )

    def __init__(self, *args, majors=None, choices: int = 1, applications: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        if applications > 1:
            self.fields["understands_once_only"].label = _(
                "I understand that I can apply to change school %(count)s times at most, one "
                "application at a time."
            ) % {"count": applications}
        first = self.fields["to_major"]
        assert isinstance(first, forms.ModelChoiceField)
        if majors is not None:
            first.queryset = majors
        if choices > 1:
            first.label = _("First choice: major at the paired school")
        # Further choices, in order, each optional: a later one only after an earlier one.
        for order in range(2, choices + 1):
            self.fields[f"choice_{order}"] = forms.ModelChoiceField(
                label=_("Choice %(order)s (optional)") % {"order": order},
                queryset=majors if majors is not None else Major.objects.none(),
                required=False,
                empty_label=_("— none —"),
            )
        self.extra_choices = [f"choice_{order}" for order in range(2, choices + 1)]

    def clean(self):
        data = super().clean()
        more, gap = [], False
        for name in self.extra_choices:
            major = data.pop(name, None)
            if major is None:
                gap = True
                continue
            if gap:
                self.add_error(name, _("Fill in the choices in order, leaving no gap."))
            elif major == data.get("to_major") or major in more:
                self.add_error(name, _("Each choice is a different major."))
            more.append(major)
        data["more_choices"] = more
        return data

    def clean_guardian_consent_date(self):
        value = self.cleaned_data["guardian_consent_date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The consent date cannot be in the future."))
        return value


class EligibilityForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Eligibility"),
        choices=[("eligible", _("Eligible")), ("ineligible", _("Not eligible"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required when the applicant is not eligible."),
    )


class ScoreSheetForm(forms.Form):
    """One field per applicant and component: a whole assessment session in one form."""

    def __init__(self, *args, applications, components_by_direction, **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = []
        for application in applications:
            cells = []
            for component in components_by_direction.get(application.direction, []):
                name = f"score_{application.pk}_{component.pk}"
                self.fields[name] = forms.DecimalField(
                    label=_("%(component)s score of %(student)s")
                    % {"component": component.name, "student": application.student.name},
                    min_value=0,
                    max_value=component.max_score,
                    max_digits=5,
                    decimal_places=1,
                    required=False,
                )
                cells.append((component, name))
            self.rows.append((application, cells))

    def scores(self) -> dict[int, dict[int, Decimal]]:
        """Only applicants with at least one score typed in are submitted."""
        result: dict[int, dict[int, Decimal]] = {}
        for application, cells in self.rows:
            values = {
                component.pk: self.cleaned_data[name]
                for component, name in cells
                if self.cleaned_data.get(name) is not None
            }
            if values:
                result[application.pk] = values
        return result

    def bound_rows(self):
        return [
            (application, [(component, self[name]) for component, name in cells])
            for application, cells in self.rows
        ]


class ObjectionForm(forms.Form):
    text = forms.CharField(
        label=_("Your objection"), widget=forms.Textarea(attrs={"rows": 4}), max_length=2000
    )


class ObjectionResolveForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("uphold", _("Uphold")), ("dismiss", _("Dismiss"))],
        widget=forms.RadioSelect,
    )
    resolution = forms.CharField(label=_("Answer"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, scores=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.score_fields = []
        for score in scores:
            name = f"correct_{score.component_id}"
            self.fields[name] = forms.DecimalField(
                label=_("Corrected %(component)s score (now %(value)s)")
                % {"component": score.component.name, "value": score.value},
                required=False,
                min_value=0,
                max_value=score.component.max_score,
                max_digits=5,
                decimal_places=1,
            )
            self.score_fields.append((score, name))

    def corrections(self) -> dict[int, Decimal]:
        return {
            score.component_id: self.cleaned_data[name]
            for score, name in self.score_fields
            if self.cleaned_data.get(name) is not None
        }


class RecommendForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Recommendation"),
        choices=[("recommend", _("Recommend")), ("not", _("Do not recommend"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Comment"), required=False, max_length=500)


class TakeBackForm(forms.Form):
    reason = forms.CharField(
        label=_("Why the recommendation is taken back"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("The student is told; the seat goes to the next on the waiting list."),
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("Reason"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required for a rejection."),
    )
