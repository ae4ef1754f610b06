"""A province above its cities (issue 14, item 5): its education department sees every
city's policies, transfers and filing packages read-only ("not yours" looks like "not
there"), changes none of them, and may set the rule pack all its cities start from."""

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from factories import UserFactory
from transfer_world import build_world, draft_policy, drive, enrol, publish_policy, submit

from core.exceptions import NotFound
from schools.models import Province, User
from transfers import services
from transfers.models import Application

pytestmark = pytest.mark.django_db
S = Application.State


@pytest.fixture
def province(world):
    province = Province.objects.create(code="370000", name="山东省", department_name="山东省教育厅")
    world.area.municipality.province = province
    world.area.municipality.save()
    return province


@pytest.fixture
def department(province):
    return UserFactory(role=User.Role.PROVINCE, province=province)


@pytest.fixture
def elsewhere():
    """Another city, of no province: its policy and application are not the department's."""
    other = build_world()
    policy = publish_policy(other)
    return policy, submit(policy, enrol(other))


@pytest.fixture
def recommended(world, province):
    policy = publish_policy(world)
    return drive(world, submit(policy, enrol(world)), S.RECOMMENDED)


def _get(client, user, url):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    client.force_login(user)
    return client.get(url)


def test_the_department_reads_its_cities_policies_and_transfers(
    client, department, recommended, elsewhere
):
    policy, outside = elsewhere

    assert _get(client, department, recommended.policy.get_absolute_url()).status_code == 200
    assert _get(client, department, recommended.get_absolute_url()).status_code == 200
    listing = _get(client, department, reverse("transfers:applications")).content.decode()
    assert recommended.student.name in listing
    # Another city's, outside the province: not there, as far as the department can tell.
    assert _get(client, department, policy.get_absolute_url()).status_code == 404
    assert _get(client, department, outside.get_absolute_url()).status_code == 404


def test_the_department_downloads_its_cities_filing_packages_only(
    client, world, department, recommended, elsewhere
):
    mine = reverse("filing:download", args=[world.area.slug, 2024])
    other_area = elsewhere[0].pilot_area

    assert _get(client, department, mine).status_code == 200
    theirs = reverse("filing:download", args=[other_area.slug, 2024])
    assert _get(client, department, theirs).status_code == 404


def test_the_department_changes_nothing(client, world, department, recommended):
    with pytest.raises((PermissionDenied, NotFound)):
        services.application_approve(actor=department, application=recommended)
    with pytest.raises(PermissionDenied):
        services.policy_new_version(actor=department, policy=recommended.policy)
    with pytest.raises(PermissionDenied):
        services.policy_publish(actor=department, policy=recommended.policy)
    client.force_login(department)
    response = client.post(
        reverse("transfers:application_decide", args=[recommended.pk]), {"decision": "approve"}
    )
    assert response.status_code in (302, 403, 404)
    recommended.refresh_from_db()
    assert recommended.state == S.RECOMMENDED


def test_the_department_sets_the_pack_its_cities_start_from(client, world, province, department):
    client.force_login(department)
    response = client.post(reverse("transfers:province_pack"), {"rule_pack": "shandong-2026"})

    assert response.status_code == 302
    province.refresh_from_db()
    assert province.rule_pack == "shandong-2026"
    with pytest.raises(ValidationError, match="runs the Shandong 2026 pack in all its cities"):
        draft_policy(world)  # Hangzhou's, the default
    assert draft_policy(world, rule_pack="shandong-2026").assessor == "receiving"
    home = _get(client, department, reverse("home")).content.decode()
    assert 'data-testid="province-pack"' in home and "Shandong 2026" in home


def test_only_the_department_of_the_province_sets_its_pack(world, province, department):
    other = UserFactory(
        role=User.Role.PROVINCE,
        province=Province.objects.create(
            code="350000", name="福建省", department_name="福建省教育厅"
        ),
    )
    for actor in (other, world.bureau, world.district):
        with pytest.raises(PermissionDenied):
            services.province_set_pack(actor=actor, province=province, rule_pack="xiamen-2022")
    with pytest.raises(ValidationError, match="Choose one of the rule packs"):
        services.province_set_pack(actor=department, province=province, rule_pack="nowhere")


def test_a_provincial_account_is_scoped_to_its_province_only(province):
    unscoped = pytest.raises(IntegrityError, match="user_role_matches_scope|CHECK")
    with unscoped, transaction.atomic():
        UserFactory(role=User.Role.PROVINCE)
    two_scopes = pytest.raises(IntegrityError, match="user_role_matches_scope|CHECK")
    with two_scopes, transaction.atomic():
        UserFactory(role=User.Role.BUREAU, province=province)
