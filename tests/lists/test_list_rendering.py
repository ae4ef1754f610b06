"""What list pages print per row and per filter choice without Django's per-item templates
must be what those templates print."""

import datetime
import re
from decimal import Decimal

import pytest
from django import forms
from django.apps import apps
from django.db import connection
from django.template import Context, Template
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy
from django_filters.fields import ModelChoiceField
from factories import SchoolFactory

from core.filters import ListChoiceIterator, ListSelect
from core.lists import cell, html_row, row_urls
from schools.filters import SchoolFilter
from schools.models import PilotArea, School
from students.filters import StudentFilter
from students.models import Student
from transfers.filters import ApplicationFilter
from transfers.models import Application

pytestmark = pytest.mark.django_db


def _normalised(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r">\s+<", "><", html)).strip()


def _as_django_renders_it(bound_field) -> str:
    widget = bound_field.field.widget
    widget.__class__ = forms.Select
    try:
        return str(bound_field)
    finally:
        widget.__class__ = ListSelect


@pytest.mark.parametrize(
    ("filterset_class", "model", "persona", "data"),
    [
        (ApplicationFilter, Application, "bureau", None),
        (ApplicationFilter, Application, "bureau", {"state": "recommended", "area": "?"}),
        (StudentFilter, Student, "registrar_a", {"track": "general", "school": "?"}),
        (SchoolFilter, School, "bureau", {"kind": "general"}),
    ],
)
def test_a_filters_choices_print_as_djangos_select_prints_them(
    request, area_a, area_b, school_a, school_b, filterset_class, model, persona, data
):
    user = request.getfixturevalue(persona)
    SchoolFactory(municipality=area_a.municipality, name='<b>"引号"</b> & 学校')
    if data:
        data = {
            k: (area_b.pk if k == "area" else school_a.pk) if v == "?" else v
            for k, v in data.items()
        }
    http_request = RequestFactory().get("/", data or {})
    http_request.user = user
    filterset = filterset_class(data, queryset=model.objects.all(), request=http_request)

    selects = [field for field in filterset.form if isinstance(field.field.widget, ListSelect)]

    assert selects, "the filter offers choices"
    for field in selects:
        assert _normalised(str(field)) == _normalised(_as_django_renders_it(field))
    if data:
        assert "selected" in "".join(str(field) for field in selects)


def test_a_select_with_option_groups_is_left_to_django():
    widget = ListSelect(choices=[("生", [("a", "甲"), ("b", "乙")]), ("c", "丙")])

    html = widget.render("x", "b")

    assert '<optgroup label="生">' in html
    assert '<option value="b" selected>乙</option>' in html


def test_named_choices_are_what_str_prints(area_a, school_a, school_b):
    """The choices of models naming a ``choice_label_field`` are read as one column; it must
    be their str()."""
    labelled = {
        model: model.choice_label_field
        for model in apps.get_models()
        if getattr(model, "choice_label_field", None)
    }
    for model, column in labelled.items():
        for instance in model.objects.all():
            assert str(instance) == getattr(instance, column)
    assert set(labelled) == {School, PilotArea}


def test_a_filters_model_choices_are_read_in_one_plain_query(bureau, area_a, school_a):
    http_request = RequestFactory().get("/")
    http_request.user = bureau
    form = ApplicationFilter(None, queryset=Application.objects.all(), request=http_request).form

    with CaptureQueriesContext(connection) as queries:
        html = str(form["to_school"])

    assert len(queries) == 1
    assert "CURSOR" not in queries[0]["sql"].upper()
    assert f'<option value="{school_a.pk}">{school_a.name}</option>' in html


def test_row_urls_are_what_reverse_gives():
    for viewname in ("transfers:application_detail", "students:detail"):
        url = row_urls(viewname)
        for pk in (1, 7, 42, 1_234_567):
            assert url(pk) == reverse(viewname, args=[pk])


VALUES = [
    "张三",
    '<script>alert("x")</script> & \'',
    mark_safe("<b>安全</b>"),
    gettext_lazy("Recommended"),
    0,
    1234567,
    Decimal("80.00"),
    Decimal("1234.5"),
    datetime.date(2025, 1, 5),
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("grouping", [False, True])
def test_a_cell_prints_what_the_template_prints(language, grouping):
    with translation.override(language), override_settings(USE_THOUSAND_SEPARATOR=grouping):
        for value in VALUES:
            assert cell(value) == Template("{{ v }}").render(Context({"v": value})), value


def test_a_row_is_marked_safe_and_its_values_escaped():
    row = html_row('<tr><td title="{0}">{0}</td><td>{1}</td></tr>', '"<i>', mark_safe("<b>"))

    assert row == '<tr><td title="&quot;&lt;i&gt;">&quot;&lt;i&gt;</td><td><b></td></tr>'
    assert hasattr(row, "__html__")


def test_a_field_that_labels_its_choices_its_own_way_keeps_its_labels(school_a):
    class CodedSchools(ModelChoiceField):
        def label_from_instance(self, obj):
            return f"{obj.code} {obj.name}"

    field = CodedSchools(queryset=School.objects.all())
    field.iterator = ListChoiceIterator

    choices = [(str(value), label) for value, label in field.choices]

    assert (str(school_a.pk), f"{school_a.code} {school_a.name}") in choices
