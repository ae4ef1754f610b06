"""Every list page the same way: scoped queryset in, filtered, searched, sorted, paginated.

The sort key comes from a whitelist so a URL can never order by an arbitrary field, and
every order ends with the primary key so pages are stable.
"""

from django.core.paginator import Paginator
from django.http import HttpRequest

PER_PAGE = 50


def list_page(
    request: HttpRequest,
    queryset,
    *,
    sorts: dict[str, str],
    default_sort: str,
    filterset_class=None,
    per_page: int = PER_PAGE,
) -> dict:
    filterset = None
    if filterset_class is not None:
        filterset = filterset_class(request.GET or None, queryset=queryset, request=request)
        if filterset.is_bound and filterset.is_valid():
            queryset = filterset.qs
    sort = request.GET.get("sort", default_sort)
    if sort.lstrip("-") not in sorts:
        sort = default_sort
    direction = "-" if sort.startswith("-") else ""
    queryset = queryset.order_by(direction + sorts[sort.lstrip("-")], direction + "pk")
    page = Paginator(queryset, per_page).get_page(request.GET.get("page"))
    params = request.GET.copy()
    params.pop("page", None)
    return {"page": page, "filter": filterset, "sort": sort, "querystring": params.urlencode()}
