"""Simplified Chinese ships complete: every translatable string has a translation."""

import shutil
from pathlib import Path

import polib
import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import call_command
from django.test import override_settings

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def project_sources() -> list[str]:
    """The folders whose strings the catalogue must cover: every project app in
    INSTALLED_APPS (an app added there cannot drop out of the check), the settings and the
    templates."""
    base = Path(settings.BASE_DIR).resolve()
    apps = [
        config.name
        for config in django_apps.get_app_configs()
        if Path(config.path).resolve().parent == base
    ]
    return ["config", *apps, "templates"]


def test_every_project_app_is_scanned():
    sources = project_sources()
    for name in ("core", "schools", "notifications", "students", "credits", "imports"):
        assert name in sources
    for name in ("transfers", "filing", "workspaces", "demo"):
        assert name in sources
    assert "django.contrib.admin" not in sources and "crispy_forms" not in sources


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="needs GNU gettext (xgettext)")
def test_makemessages_finds_no_untranslated_string(tmp_path, monkeypatch):
    # makemessages writes to the locale folder beside the sources it scans, so it scans a
    # stand-in project: links to the real sources and a copy of the catalogue.
    project = tmp_path / "project"
    project.mkdir()
    for name in project_sources():
        (project / name).symlink_to(Path(settings.BASE_DIR) / name)
    locale = project / "locale"
    shutil.copytree(CATALOGUE.parent.parent.parent, locale)
    monkeypatch.chdir(project)
    with override_settings(LOCALE_PATHS=[locale]):
        call_command(
            "makemessages",
            locale=["zh_Hans"],
            symlinks=True,
            no_obsolete=True,
            verbosity=0,
        )
    catalogue = polib.pofile(str(locale / "zh_Hans" / "LC_MESSAGES" / "django.po"))
    missing = [entry.msgid for entry in catalogue.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalogue.fuzzy_entries()]
    assert missing == [], f"untranslated in zh_Hans: {missing[:20]}"
    assert fuzzy == [], f"fuzzy in zh_Hans: {fuzzy[:20]}"


def test_shipped_catalogue_is_complete():
    catalogue = polib.pofile(str(CATALOGUE))
    assert catalogue.percent_translated() == 100
    assert len(catalogue) > 300


@pytest.mark.django_db
def test_login_page_is_chinese_by_default(client):
    with override_settings(LANGUAGE_CODE="zh-hans"):
        response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert "登录" in response.content.decode()


@pytest.mark.django_db
def test_login_page_switches_to_english(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get("/accounts/login/")
    assert "Log in" in response.content.decode()
    assert "登录" not in response.content.decode()
