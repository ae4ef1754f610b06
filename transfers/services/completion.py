"""Status follows the person (rule 8, 籍随人走): the atomic move after the bureau's approval."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from core.stored_text import text as stored_text
from credits.services import credits_recognise
from schools.models import IntegrationClass, Pairing, School, User
from students.models import Source, StatusRecord
from students.services import status_close, status_open

from ..models import Application
from .transitions import application_transition

S = Application.State


def _pairing_of(application: Application, old: StatusRecord) -> Pairing:
    """The pairing the move is within: the class's (rule 3), or for a student who moved
    into a school with no class of their major, the pairing of the two schools."""
    if old.integration_class is not None:
        return old.integration_class.pairing
    return Pairing.objects.get(
        Q(general_school=old.school, vocational_school=application.to_school)
        | Q(general_school=application.to_school, vocational_school=old.school),
        pilot_area_id=application.policy.pilot_area_id,
    )


@transaction.atomic
def application_complete(*, actor: User, application: Application) -> Application:
    """In one transaction: end the old status, open the new one at the receiving school,
    recognise the credits (rule 7), and mark funding eligibility for a move to a vocational
    school. If any step fails nothing changes; a second run changes nothing."""
    application = (
        Application.objects.select_for_update(of=("self",))
        .select_related("policy", "student", "to_school", "to_major", "from_status")
        .get(pk=application.pk)
    )
    if application.state == S.COMPLETED:
        return application
    if application.state != S.APPROVED:
        raise ValidationError(_("Only an approved transfer can be carried out."))
    today = timezone.localdate()
    old = application.from_status
    if old.state != StatusRecord.State.ACTIVE:
        raise ValidationError(
            _("The status at %(school)s is no longer active; the transfer cannot move it.")
            % {"school": old.school.name}
        )
    reason = _("Transfer application %(number)s") % {"number": application.pk}
    status_close(
        record=old,
        state=StatusRecord.State.TRANSFERRED_OUT,
        end_date=today,
        reason=reason,
        actor=actor,
        source=Source.TRANSFER,
    )
    integration_class = IntegrationClass.objects.filter(
        host_school=application.to_school,
        major=application.to_major,
        cohort_year=application.policy.cohort_year,
    ).first()
    new = status_open(
        student=application.student,
        school=application.to_school,
        start_date=today,
        integration_class=integration_class,
        major=application.to_major,
        reason=reason,
        actor=actor,
        source=Source.TRANSFER,
    )
    if application.to_school.kind == School.Kind.VOCATIONAL:
        new.funding_eligible_from = today
        new.save(update_fields=["funding_eligible_from"])
    # Credits earned at the sending school are recognised at the receiving one; on a
    # transfer back, what was recognised on the way out stays where it is (the originals are
    # at the school the student returns to) and only the credits earned since move back.
    credits_recognise(
        student=application.student,
        pairing=_pairing_of(application, old),
        from_school=old.school,
        to_school=application.to_school,
    )
    application.new_status = new
    application.save(update_fields=["new_status"])
    return application_transition(
        application=application,
        to_state=S.COMPLETED,
        actor=actor,
        comment=stored_text(
            gettext_noop("Status moved to %(school)s."), school=application.to_school.name
        ),
    )
