"""Every URL refuses a POST without the CSRF token, found by walking the URL conf: no view is
exempt, whoever is signed in."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from factories import MunicipalityFactory, UserFactory

from schools.models import User

pytestmark = pytest.mark.django_db
SAMPLE = {"int": "1", "slug": "x", "str": "x", "path": "x"}


def _paths(patterns=None, prefix=""):
    for entry in patterns if patterns is not None else get_resolver().url_patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _paths(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route


def _concrete(route: str) -> str:
    import re

    def sample(match):
        converter = match.group(1) or "str"
        return SAMPLE.get(converter, "1")

    path = re.sub(r"<(?:(\w+):)?\w+>", sample, route).lstrip("^").rstrip("$")
    return "/" + path


ROUTES = sorted({_concrete(route) for route in _paths() if not route.startswith("admin/")})


def test_the_walk_finds_the_apps_post_endpoints():
    assert "/transfers/applications/1/withdraw/" in ROUTES
    assert "/transfers/policies/1/allocation/confirm" in ROUTES
    assert len(ROUTES) > 40


@pytest.mark.parametrize("path", ROUTES)
def test_a_post_without_the_token_is_refused(path):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory(role=User.Role.BUREAU, municipality=MunicipalityFactory()))
    response = client.post(path, {"anything": "1"})
    assert response.status_code == 403, path
