"""Personas and the PostgreSQL marker.

The world the personas live in: one municipality with two approved pilot areas, A and B, each
with a general and a vocational school paired in one cooperative major; another municipality
with one school of its own. Staff of each scope, an administrator, and one enrolled student at
the general school of each area, each with a login.
"""

import os

import db_owner
import pytest
from django.core.management.sql import emit_post_migrate_signal
from django.db import connection, connections
from django.test import TransactionTestCase
from django.test.utils import override_settings
from django.utils import translation
from factories import (
    MunicipalityFactory,
    PairingFactory,
    PilotAreaFactory,
    SchoolFactory,
    StatusRecordFactory,
    StudentFactory,
    UserFactory,
)

from config import celery_app
from schools.models import School, User

POSTGRES_SKIP_REASON = "needs PostgreSQL (DATABASE_URL=postgres://...)"


def _postgres_required() -> bool:
    return os.environ.get("REQUIRE_POSTGRES") == "1"


def pytest_configure(config):
    # WhiteNoise looks for STATIC_ROOT, which only exists after collectstatic; tests do not
    # serve static files.
    config.addinivalue_line("filterwarnings", "ignore:No directory at:UserWarning")


def pytest_collection_modifyitems(config, items):
    """``@pytest.mark.postgres`` tests skip on another engine, unless REQUIRE_POSTGRES=1 says
    this run is meant to be on PostgreSQL: then they fail (see ``pytest_runtest_call``), so a
    CI job that lost its DATABASE_URL cannot pass by skipping them."""
    if connection.vendor == "postgresql" or _postgres_required():
        return
    skip = pytest.mark.skip(reason=POSTGRES_SKIP_REASON)
    for item in items:
        if item.get_closest_marker("postgres"):
            item.add_marker(skip)


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item):
    if (
        item.get_closest_marker("postgres")
        and connection.vendor != "postgresql"
        and _postgres_required()
    ):
        pytest.fail(
            f"REQUIRE_POSTGRES=1 but the database engine is {connection.vendor!r}: this test "
            "needs PostgreSQL. Set DATABASE_URL=postgres://... (or unset REQUIRE_POSTGRES to "
            "skip it).",
            pytrace=False,
        )


@pytest.fixture(autouse=True, scope="session")
def _test_settings():
    """A fast hasher, and English so messages do not depend on the translation catalogue."""
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        LANGUAGE_CODE="en",
    ):
        yield


@pytest.fixture(autouse=True)
def _empty_cache():
    """Counters kept in the cache (wrong activation codes) start at zero in each test; in CI
    the cache is Redis, shared by every test of the run."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _english():
    """Each test starts in English, whatever language an earlier request left active."""
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _celery_runs_tasks_in_process():
    """CI runs the suite with REDIS_URL set and no worker; tasks run in the test's process
    (the live server's thread included) whatever the configuration says."""
    conf = celery_app.conf
    saved = conf.task_always_eager, conf.task_eager_propagates
    conf.task_always_eager = True
    conf.task_eager_propagates = True
    yield
    conf.task_always_eager, conf.task_eager_propagates = saved


@pytest.fixture
def engine(request):
    """The engine a test variant is meant for; see ``engines.each_engine``. Its marks decide
    whether the variant runs here."""
    return request.param


# --- places -----------------------------------------------------------------------------


@pytest.fixture
def municipality(db):
    return MunicipalityFactory(code="330100", name="杭州市", bureau_name="杭州市教育局")


@pytest.fixture
def other_municipality(db):
    return MunicipalityFactory(code="330200", name="宁波市", bureau_name="宁波市教育局")


@pytest.fixture
def area_a(municipality):
    return PilotAreaFactory(
        municipality=municipality, code="330110", slug="yuhang", name="余杭区", approved=True
    )


@pytest.fixture
def area_b(municipality):
    return PilotAreaFactory(
        municipality=municipality, code="330113", slug="linping", name="临平区", approved=True
    )


@pytest.fixture
def pairing_a(area_a):
    return PairingFactory(
        pilot_area=area_a,
        general_school__name="余杭高级中学",
        vocational_school__name="余杭职业高级中学",
    )


@pytest.fixture
def pairing_b(area_b):
    return PairingFactory(
        pilot_area=area_b,
        general_school__name="临平第一中学",
        vocational_school__name="临平职业高级中学",
    )


@pytest.fixture
def school_a(pairing_a) -> School:
    """The general school of area A."""
    return pairing_a.general_school


@pytest.fixture
def vocational_a(pairing_a) -> School:
    return pairing_a.vocational_school


@pytest.fixture
def school_b(pairing_b) -> School:
    """The general school of area B."""
    return pairing_b.general_school


@pytest.fixture
def vocational_b(pairing_b) -> School:
    return pairing_b.vocational_school


@pytest.fixture
def school_other(other_municipality) -> School:
    """A school of the other municipality, in no pilot."""
    return SchoolFactory(municipality=other_municipality, name="宁波中学")


# --- people -------------------------------------------------------------------------------


@pytest.fixture
def registrar_a(school_a) -> User:
    return UserFactory(username="registrar_a", role=User.Role.REGISTRAR, school=school_a)


@pytest.fixture
def registrar_b(school_b) -> User:
    return UserFactory(username="registrar_b", role=User.Role.REGISTRAR, school=school_b)


@pytest.fixture
def district_a(area_a) -> User:
    return UserFactory(username="district_a", role=User.Role.DISTRICT, pilot_area=area_a)


@pytest.fixture
def district_b(area_b) -> User:
    return UserFactory(username="district_b", role=User.Role.DISTRICT, pilot_area=area_b)


@pytest.fixture
def bureau(municipality) -> User:
    return UserFactory(username="bureau", role=User.Role.BUREAU, municipality=municipality)


@pytest.fixture
def bureau_other(other_municipality) -> User:
    return UserFactory(
        username="bureau_other", role=User.Role.BUREAU, municipality=other_municipality
    )


@pytest.fixture
def admin_user(db) -> User:
    """Overrides pytest-django's own, so ``admin_client`` logs in as this one too."""
    return UserFactory(username="admin", role=User.Role.ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def student_a(school_a):
    student = StudentFactory(
        name="张三", user=UserFactory(username="student_a", role=User.Role.STUDENT)
    )
    StatusRecordFactory(student=student, school=school_a)
    return student


@pytest.fixture
def student_b(school_b):
    student = StudentFactory(
        name="李四", user=UserFactory(username="student_b", role=User.Role.STUDENT)
    )
    StatusRecordFactory(student=student, school=school_b)
    return student


@pytest.fixture
def client_as(client, request):
    """``client_as(user)`` or ``client_as("registrar_a")``: the test client, logged in."""

    def log_in(persona):
        user = request.getfixturevalue(persona) if isinstance(persona, str) else persona
        if not isinstance(user, User):  # a Student persona logs in with its account
            user = user.user
        client.force_login(user)
        return client

    return log_in


# --- the database role ------------------------------------------------------------------


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup):
    """Created and migrated by the owner; tested as the application's role (see db_owner)."""
    if not db_owner.app_role():
        yield
        return
    db_owner.connect_as_app_role()
    if db_owner.state.owner_test:  # the first test of the session is one of the owner's
        db_owner.connect_as_owner()
    yield
    db_owner.connect_as_owner()  # the owner drops the test database


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """``@pytest.mark.owner``: the test does what only the tables' owner may (DDL to write the
    rows today's constraints refuse, or a trigger's own refusal tested apart from the app
    role's privileges), so it connects as the owner, from before its transaction begins."""
    db_owner.state.owner_test = bool(item.get_closest_marker("owner"))
    if db_owner.state.owner_test and db_owner.app_role():
        db_owner.connect_as_owner()


@pytest.hookimpl(hookwrapper=True, trylast=True)
def pytest_runtest_teardown(item):
    yield
    if db_owner.state.owner_test and db_owner.app_role():
        db_owner.connect_as_app_role()
    db_owner.state.owner_test = False


def _flush_as_owner(self):
    """TransactionTestCase's teardown, on PostgreSQL: the flush as the owner (db_owner)."""
    if connection.vendor != "postgresql":
        return _django_fixture_teardown(self)
    for alias in self._databases_names(include_mirrors=False):
        db_owner.flush_as_owner(allow_cascade=self.available_apps is not None)
        if self.available_apps is None and not (
            self.serialized_rollback and hasattr(connections[alias], "_test_serialized_contents")
        ):
            emit_post_migrate_signal(0, False, alias)


_django_fixture_teardown = TransactionTestCase._fixture_teardown
TransactionTestCase._fixture_teardown = _flush_as_owner  # type: ignore[method-assign]
