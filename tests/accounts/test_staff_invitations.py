"""Staff accounts are opened by the level above with an e-mailed link: a bureau invites a
registrar of its city, who follows the link, chooses a password and signs in; nobody invites
outside their scope or above their level."""

import re

import pytest

from schools.models import User

PASSWORD = "chun-feng-song-nuan-2026"


def invite(client, **fields):
    data = {
        "username": "new_registrar",
        "last_name": "王",
        "first_name": "芳",
        "email": "wangfang@example.edu.cn",
        "role": "registrar",
        "language": "en",
        **fields,
    }
    return client.post("/schools/staff/", data)


def test_a_bureau_invites_a_registrar_who_activates_by_the_link(
    client_as, bureau, school_a, mailoutbox, django_capture_on_commit_callbacks, client
):
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(client_as(bureau), school=school_a.pk)
    assert response.status_code == 302

    user = User.objects.get(username="new_registrar")
    assert (user.role, user.school, user.has_usable_password()) == ("registrar", school_a, False)
    [mail] = mailoutbox
    assert mail.to == ["wangfang@example.edu.cn"]
    link = re.search(r"http\S+/accounts/activate/#(\w+)", mail.body)
    assert link, mail.body

    client.logout()
    activated = client.post(
        "/accounts/activate/",
        {"code": link.group(1), "password1": PASSWORD, "password2": PASSWORD},
    )
    assert activated.status_code == 302
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_inviting_again_ends_the_earlier_link(
    client_as, bureau, school_a, mailoutbox, django_capture_on_commit_callbacks
):
    client = client_as(bureau)
    with django_capture_on_commit_callbacks(execute=True):
        invite(client, school=school_a.pk)
    user = User.objects.get(username="new_registrar")
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(f"/schools/staff/{user.pk}/invite/").status_code == 302
    first, second = (re.search(r"#(\w+)", m.body).group(1) for m in mailoutbox)

    from schools.accounts import account_activate

    with pytest.raises(Exception, match="not valid"):
        account_activate(typed_code=first, password=PASSWORD)
    account_activate(typed_code=second, password=PASSWORD)


def test_a_school_outside_the_scope_is_refused(client_as, district_a, school_b):
    response = invite(client_as(district_a), school=school_b.pk)
    assert response.status_code == 200
    assert not User.objects.filter(username="new_registrar").exists()


def test_a_district_cannot_invite_a_bureau(client_as, district_a, municipality):
    response = invite(client_as(district_a), role="bureau", municipality=municipality.pk)
    assert response.status_code == 200
    assert not User.objects.filter(username="new_registrar").exists()


def test_a_taken_login_name_is_refused(client_as, bureau, school_a, registrar_a):
    response = invite(client_as(bureau), username="registrar_a", school=school_a.pk)
    assert "This login name is taken" in response.content.decode()


@pytest.mark.parametrize("persona", ["registrar_a", "student_a"])
def test_registrars_and_students_invite_nobody(persona, client_as):
    assert client_as(persona).get("/schools/staff/").status_code == 404


def test_staff_of_another_city_cannot_be_reinvited(client_as, bureau_other, registrar_a):
    assert (
        client_as(bureau_other).post(f"/schools/staff/{registrar_a.pk}/invite/").status_code == 404
    )


def test_the_staff_page_lists_the_accounts_in_scope(client_as, bureau, registrar_a, registrar_b):
    body = client_as(bureau).get("/schools/staff/").content.decode()
    assert "registrar_a" in body and "registrar_b" in body
