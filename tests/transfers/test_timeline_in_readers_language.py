"""A comment the system writes in an application's timeline is stored as a message and
shown in the reader's language, whoever's language it was written in."""

from django.conf import settings
from django.utils import translation
from transfer_world import submit

from transfers import services
from transfers.models import ApplicationEvent


def test_the_timeline_speaks_the_readers_language(client_as, world, policy, applicant):
    application = submit(policy, applicant)
    with translation.override("zh-hans"):
        services.application_withdraw(actor=applicant.user, application=application)
    event = ApplicationEvent.objects.get(application=application, to_state="withdrawn")
    assert event.comment_text == {"m": "Withdrawn"}
    with translation.override("zh-hans"):
        chinese = translation.gettext("Withdrawn")
    assert chinese != "Withdrawn" and event.comment == chinese

    client = client_as(world.registrar_general)
    for language, words in (("en", "Withdrawn"), ("zh-hans", chinese)):
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        page = client.get(application.get_absolute_url()).content.decode()
        timeline = page[page.index('data-testid="timeline"') :]
        assert f'<span class="text-muted">{words}</span>' in timeline, language


def test_a_persons_comment_is_shown_as_typed(world, policy, applicant):
    application = submit(policy, applicant)
    services.application_confirm_eligibility(
        actor=world.registrar_general, application=application, eligible=False, reason="学分不足。"
    )
    event = ApplicationEvent.objects.get(application=application, to_state="ineligible")

    assert (event.comment, event.comment_text) == ("学分不足。", None)
    with translation.override("en"):
        assert event.comment_shown == "学分不足。"
