"""Every list page the same way: scoped queryset in, filtered, searched, sorted, paginated.

The sort key comes from a whitelist so a URL can never order by an arbitrary field, and
every order ends with the primary key so pages are stable.

List pages are the busiest pages there are, so what a page does per row is kept to the
least: each row's markup is written in one go (``html_row``, as Django's admin writes its
change list in Python) rather than through a template's per-row tags and lookups, and the
rows' links come from one ``reverse()`` (``row_urls``).
"""

import html
from collections.abc import Callable

from django.conf import settings
from django.core.paginator import Paginator
from django.core.validators import EMPTY_VALUES
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import localize
from django.utils.functional import Promise, cached_property
from django.utils.safestring import SafeString, mark_safe

PER_PAGE = 50


class _Paginator(Paginator):
    """A paginator that may be given a cheaper way to count its list than COUNT(*) over the
    queryset (``total``, which must count the same rows)."""

    def __init__(self, object_list, per_page, *, total: Callable[[], int] | None = None):
        super().__init__(object_list, per_page)
        self.total = total

    @cached_property
    def count(self) -> int:
        return self.total() if self.total is not None else super().count


def list_page(
    request: HttpRequest,
    queryset,
    *,
    sorts: dict[str, str],
    default_sort: str,
    filterset_class=None,
    per_page: int = PER_PAGE,
    total: Callable[[], int] | None = None,
) -> dict:
    """``total``, if given, counts the unfiltered list: it is used when no filter applies."""
    filterset, filtered = None, False
    if filterset_class is not None:
        filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
        if filterset.is_bound and filterset.is_valid():
            queryset = filterset.qs
            filtered = any(v not in EMPTY_VALUES for v in filterset.form.cleaned_data.values())
    sort = request.GET.get("sort", default_sort)
    if sort.lstrip("-") not in sorts:
        sort = default_sort
    direction = "-" if sort.startswith("-") else ""
    queryset = queryset.order_by(direction + sorts[sort.lstrip("-")], direction + "pk")
    paginator = _Paginator(queryset, per_page, total=None if filtered else total)
    page = paginator.get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {"page": page, "filter": filterset, "sort": sort, "querystring": params.urlencode()}


#: A primary key no row has, standing in for each row's own in ``row_urls``.
_MARKER = 9_876_543_210


def row_urls(viewname: str) -> Callable[[int], str]:
    """The URL of each row's own page (``viewname`` takes the primary key as its one
    argument), from one ``reverse()`` for the whole page: the URLs differ only in the
    number, and ``reverse()`` per row costs more than the rest of a row's markup."""
    head, tail = reverse(viewname, args=[_MARKER]).split(str(_MARKER))
    return lambda pk: f"{head}{int(pk)}{tail}"


def cell(value) -> str:
    """What ``{{ value }}`` prints in a template: localized, then escaped unless it is safe
    already. ``conditional_escape`` does the same through a lazy-string wrapper that costs
    more than the escaping on a page of rows."""
    if type(value) is str:
        return html.escape(value)
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)  # what localize() makes of it
    return html.escape(str(localize(value)))


def html_row(markup: str, *values) -> SafeString:
    """``format_html(markup, *values)`` for a list row, each value printed by ``cell``."""
    return mark_safe(markup.format(*map(cell, values)))  # noqa: S308  (every value escaped)
