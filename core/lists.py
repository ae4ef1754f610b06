"""Every list page the same way: scoped queryset in, filtered, searched, sorted, paginated.

The sort key comes from a whitelist so a URL can never order by an arbitrary field, and
every order ends with the primary key so pages are stable.

List pages are the busiest pages there are, so what a page does per row is kept to the
least: each row's markup is written in one go (``html_row``, as Django's admin writes its
change list in Python) rather than through a template's per-row tags and lookups, and the
rows' links come from one ``reverse()`` (``row_urls``).

A list's free-text search (``q``) may hold a person's name or ID-card number, which must not
reach a URL (and so the access logs, the browser's history, a Referer header): the filter
form is sent by POST, the search is kept in the session under a random token, and the list
is shown at its URL with ``?search=<token>`` and the other filters as they were sent
(``searched_by_post``). The list reads the search back from the token (``list_page``); a
token it does not know is no search.
"""

import functools
import html
import secrets
from collections.abc import Callable

from django.conf import settings
from django.core.paginator import Paginator
from django.core.validators import EMPTY_VALUES
from django.http import HttpRequest, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.formats import localize
from django.utils.functional import Promise, cached_property
from django.utils.safestring import SafeString, mark_safe

PER_PAGE = 50
#: The query parameter naming a search kept in the session, and the form field it holds.
SEARCH_PARAM = "search"
SEARCH_FIELD = "q"
_SEARCHES_KEY = "list_searches"
#: How many searches a session keeps (the newest): enough for a few tabs of lists.
SEARCHES_KEPT = 20


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
        data = list_filters(request)
        filterset = filterset_class(data or None, queryset=queryset, request=request)
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
    params.pop(SEARCH_FIELD, None)
    return {"page": page, "filter": filterset, "sort": sort, "querystring": params.urlencode()}


def searched_by_post(view):
    """A list view whose filter form is sent by POST: the search is kept in the session and
    the list shown again (a redirect) at its URL with the search's token and the other
    filters; a GET is the list itself."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method != "POST":
            return view(request, *args, **kwargs)
        params = QueryDict(mutable=True)
        for key, values in request.POST.lists():
            if key not in ("csrfmiddlewaretoken", SEARCH_FIELD, SEARCH_PARAM, "page"):
                params.setlist(key, [v for v in values if v != ""])
        search = request.POST.get(SEARCH_FIELD, "").strip()
        if search:
            params[SEARCH_PARAM] = _search_keep(request, search)
        query = params.urlencode()
        return redirect(f"{request.path}?{query}" if query else request.path)

    return wrapped


def _search_keep(request: HttpRequest, search: str) -> str:
    token = secrets.token_urlsafe(9)
    searches = dict(request.session.get(_SEARCHES_KEY) or {})
    searches[token] = search[:200]
    request.session[_SEARCHES_KEY] = dict(list(searches.items())[-SEARCHES_KEPT:])
    return token


def list_filters(request: HttpRequest) -> QueryDict:
    """The list's filters: the query's, without a ``q`` written into the URL, with the
    search its ``search`` token names (none if the session holds no such token)."""
    data = request.GET.copy()
    data.pop(SEARCH_FIELD, None)
    token = data.pop(SEARCH_PARAM, [""])[-1]
    searches = request.session.get(_SEARCHES_KEY) if hasattr(request, "session") else None
    search = searches.get(token) if isinstance(searches, dict) and token else None
    if isinstance(search, str):
        data[SEARCH_FIELD] = search
    return data


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
