"""The project's own system checks (core.checks): with DEBUG off, a deployment that forgot
collectstatic or the broker is told so by ``manage.py check`` (and migrate), and
``check --deploy`` says when the PDF library cannot load."""

import sys

import pytest
from django.core import checks
from django.core.management import call_command
from django.test import override_settings

from core.checks import broker_configured, pdf_library_loads, static_files_collected

MANIFEST_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
PLAIN_STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}


def _ids(messages) -> list[str]:
    return [message.id for message in messages]


def _ours(*, deploy=False) -> list[str]:
    """The ids of core's warnings in a full run of the checks, as ``manage.py check`` makes."""
    return sorted(
        message.id
        for message in checks.run_checks(include_deployment_checks=deploy)
        if message.id.startswith("core.")
    )


def test_uncollected_static_files_are_a_warning_with_debug_off(tmp_path):
    with override_settings(DEBUG=False, STORAGES=MANIFEST_STORAGES, STATIC_ROOT=tmp_path):
        [warning] = static_files_collected(None)

    assert warning.id == "core.W001"
    assert warning.level == checks.WARNING
    assert str(tmp_path) in warning.msg
    assert "collectstatic" in warning.hint


def test_collected_static_files_are_no_warning(tmp_path):
    with override_settings(DEBUG=False, STORAGES=MANIFEST_STORAGES, STATIC_ROOT=tmp_path):
        call_command("collectstatic", interactive=False, verbosity=0)
        assert static_files_collected(None) == []


def test_a_storage_without_a_manifest_needs_the_files_themselves(tmp_path):
    with override_settings(DEBUG=False, STORAGES=PLAIN_STORAGES, STATIC_ROOT=tmp_path):
        assert _ids(static_files_collected(None)) == ["core.W001"]
        call_command("collectstatic", interactive=False, verbosity=0)
        assert static_files_collected(None) == []


def test_static_files_need_no_collecting_in_debug(tmp_path):
    with override_settings(DEBUG=True, STORAGES=MANIFEST_STORAGES, STATIC_ROOT=tmp_path):
        assert static_files_collected(None) == []


def test_no_broker_with_debug_off_is_a_warning():
    with override_settings(DEBUG=False, REDIS_URL=""):
        [warning] = broker_configured(None)

    assert warning.id == "core.W002"
    assert warning.level == checks.WARNING
    assert "beat" in warning.msg


@pytest.mark.parametrize(("debug", "redis_url"), [(True, ""), (False, "redis://127.0.0.1:6379/0")])
def test_eager_tasks_in_debug_or_a_broker_are_no_warning(debug, redis_url):
    with override_settings(DEBUG=debug, REDIS_URL=redis_url):
        assert broker_configured(None) == []


def test_a_pdf_library_that_cannot_load_is_a_warning(monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # import weasyprint: ImportError

    [warning] = pdf_library_loads(None)

    assert warning.id == "core.W003"
    assert warning.level == checks.WARNING
    assert "libpango" in warning.hint


def test_a_missing_pango_is_a_warning_too(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_pango(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "weasyprint", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_pango)

    [warning] = pdf_library_loads(None)

    assert warning.id == "core.W003"
    assert "libpango-1.0-0" in warning.msg


def test_the_checks_are_registered_and_the_pdf_one_is_a_deployment_check(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with override_settings(
        DEBUG=False, REDIS_URL="", STORAGES=MANIFEST_STORAGES, STATIC_ROOT=tmp_path
    ):
        assert _ours() == ["core.W001", "core.W002"]
        assert _ours(deploy=True) == ["core.W001", "core.W002", "core.W003"]


def test_a_production_deployment_in_place_has_none_of_them(tmp_path):
    with override_settings(
        DEBUG=False,
        REDIS_URL="redis://127.0.0.1:6379/0",
        STORAGES=MANIFEST_STORAGES,
        STATIC_ROOT=tmp_path,
    ):
        call_command("collectstatic", interactive=False, verbosity=0)
        messages = [m for m in checks.run_checks() if m.id.startswith("core.")]

    assert messages == []
