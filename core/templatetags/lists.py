from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.inclusion_tag("lists/sort_header.html", takes_context=True)
def sort_header(context, key: str, label: str, numeric: bool = False):
    """A column header that sorts the list by ``key``, and says how it is sorted now."""
    current = context.get("sort", "")
    params = context["request"].GET.copy()
    params.pop("page", None)
    params.pop("q", None)  # a search is never in a URL (core.lists.searched_by_post)
    ascending = current == key
    params["sort"] = f"-{key}" if ascending else key
    if current == key:
        state = "ascending"
    elif current == f"-{key}":
        state = "descending"
    else:
        state = "none"
    return {
        "label": label,
        "url": "?" + params.urlencode(),
        "aria_sort": state,
        "numeric": numeric,
        "hint": _("sorted ascending")
        if state == "ascending"
        else (_("sorted descending") if state == "descending" else ""),
    }
