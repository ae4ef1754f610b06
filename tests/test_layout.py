"""The house's shape, kept by tests as import-linter keeps its direction: apps in layers
(bottom first, as INSTALLED_APPS lists them), no module past ~500 lines, every Celery task
named explicitly so that moving a module never renames a task a broker still holds."""

import ast
import configparser
from pathlib import Path

from django.apps import apps
from django.conf import settings

BASE = Path(settings.BASE_DIR).resolve()
MAX_LINES = 500


def _project_apps() -> list[str]:
    """The project's own apps, in the order of INSTALLED_APPS."""
    return [c.name for c in apps.get_app_configs() if Path(c.path).resolve().parent == BASE]


def _modules(app: str):
    for path in sorted((BASE / app).rglob("*.py")):
        if "migrations" not in path.relative_to(BASE).parts:
            yield path


def _layers() -> list[list[str]]:
    """The import-linter layers contract's layers, bottom first; siblings share a layer."""
    config = configparser.ConfigParser()
    config.read(BASE / ".importlinter")
    lines = config["importlinter:contract:layers"]["layers"].split("\n")
    layers = [[name.strip() for name in line.split("|")] for line in lines if line.strip()]
    return list(reversed(layers))


def test_no_application_module_is_over_the_house_limit():
    long = {
        str(path.relative_to(BASE)): length
        for app in _project_apps()
        for path in _modules(app)
        if (length := len(path.read_text().splitlines())) > MAX_LINES
    }
    assert long == {}, "make these packages: " + ", ".join(f"{k} ({v})" for k, v in long.items())


def test_every_celery_task_has_an_explicit_name():
    unnamed = []
    for app in _project_apps():
        for path in _modules(app):
            for node in ast.walk(ast.parse(path.read_text())):
                if not isinstance(node, ast.FunctionDef):
                    continue
                for decorator in node.decorator_list:
                    call = decorator if isinstance(decorator, ast.Call) else None
                    target = call.func if call else decorator
                    name = getattr(target, "id", None) or getattr(target, "attr", None)
                    if name not in ("shared_task", "task"):
                        continue
                    if call is None or not any(k.arg == "name" for k in call.keywords):
                        unnamed.append(f"{path.relative_to(BASE)}:{node.name}")
    assert unnamed == []


def test_the_tasks_keep_the_names_the_broker_and_beat_know():
    from config.celery import app as celery_app

    celery_app.loader.import_default_modules()  # what a worker does first: autodiscovery
    names = set(celery_app.tasks)
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert entry["task"] in names
    for moved in (
        "transfers.tasks.deliver_notifications",
        "transfers.tasks.deliver_pending_notifications",
        "transfers.tasks.approval_batch_run",
        "students.tasks.import_job_run",
    ):
        assert moved in names


def test_every_app_is_in_the_layers_and_installed_in_their_order():
    installed = _project_apps()
    layered = [app for layer in _layers() for app in layer if app in installed]
    assert set(installed) == {app for layer in _layers() for app in layer} - {"config", "bench"}
    # Siblings of one layer may come in either order; the layers come in INSTALLED_APPS order.
    rank = {app: i for i, layer in enumerate(_layers()) for app in layer}
    assert [rank[app] for app in installed] == sorted(rank[app] for app in installed)
    assert len(layered) == len(installed)


def test_the_school_pages_count_active_records_with_the_students_apps_own_value():
    from schools.views import ACTIVE_HERE
    from students.models import StatusRecord

    assert ACTIVE_HERE.children == [("status_records__state", StatusRecord.State.ACTIVE)]
