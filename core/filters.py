"""List filters: a free-text search and selects that render fast enough for list pages."""

import django_filters
from django import forms
from django.db.models import Q
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django_filters.fields import ModelChoiceField, ModelChoiceIterator

from .lists import html_row


class ListSelect(forms.Select):
    """A list filter's ``<select>``, with the markup of Django's ``Select`` written in one
    pass instead of through templates.

    Django renders two included templates per option (the option and its attributes). A
    filter offers every school in the user's scope (hundreds for a city's bureau) and list
    pages are the busiest pages there are, so that cost more than the rest of the page
    together. Option groups, which filters do not use, go through Django's own rendering.
    """

    def render(self, name, value, attrs=None, renderer=None):
        chosen = self.format_value(value)
        options, has_selected = [], False
        for option_value, label in self.choices:
            if isinstance(label, (list, tuple)):
                return super().render(name, value, attrs, renderer)
            option_value = "" if option_value is None else str(option_value)
            selected = not has_selected and option_value in chosen
            has_selected |= selected
            options.append(
                html_row(
                    '  <option value="{}"{}>{}</option>',
                    option_value,
                    " selected" if selected else "",
                    label,
                )
            )
        return format_html(
            '<select name="{}"{}>\n{}\n</select>',
            name,
            flatatt(self.build_attrs(self.attrs, attrs)),
            mark_safe("\n".join(options)),  # noqa: S308  (each option escaped by html_row)
        )


class ListChoiceIterator(ModelChoiceIterator):
    """A filter's model choices in one plain query.

    Django reads them through ``iterator()``, which on PostgreSQL is a server-side cursor
    (DECLARE, FETCH until empty, CLOSE: a round trip each) to spare memory on huge querysets;
    a filter's choices are a few hundred rows at most, read on every request of a list page.
    A model whose ``str()`` is one of its fields names it as ``choice_label_field``; its
    choices are then read as (pk, label) pairs instead of model instances (a city's bureau
    filters by any of some hundreds of schools), unless the field labels them its own way."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        if self.field.null_label is not None:
            yield (self.field.null_value, self.field.null_label)
        label = getattr(self.queryset.model, "choice_label_field", None)
        default_labels = (
            type(self.field).label_from_instance is forms.ModelChoiceField.label_from_instance
        )
        if label is not None and default_labels:
            yield from self.queryset.values_list("pk", label)
        else:
            for obj in self.queryset.all():
                yield self.choice(obj)


class SearchFilterSet(django_filters.FilterSet):
    """A filter set with a free-text ``q`` searched over ``search_fields``."""

    search_fields: tuple[str, ...] = ()

    q = django_filters.CharFilter(label=_("Search"), method="search")

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        condition = Q()
        for field in self.search_fields:
            condition |= Q(**{field: value})
        return queryset.filter(condition)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.form.fields.values():
            if isinstance(field, ModelChoiceField):
                field.iterator = ListChoiceIterator
                field.widget.choices = field.choices
            if type(field.widget) is forms.Select:
                field.widget = ListSelect(attrs=field.widget.attrs, choices=field.widget.choices)
            css = "form-select" if hasattr(field, "choices") else "form-control"
            field.widget.attrs.setdefault("class", css)
