"""Status follows the person (rule 8, 籍随人走): the atomic move after the bureau's approval."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from credits.services import credits_recognise
from schools.models import IntegrationClass, School, User
from students.models import Source, StatusRecord
from students.services import status_close, status_open

from ..models import Application
from .transitions import application_transition

S = Application.State


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
    # The application was eligible, so its status is in an integration class (rule 3).
    assert old.integration_class is not None
    credits_recognise(
        student=application.student,
        pairing=old.integration_class.pairing,
        from_school=old.school,
        to_school=application.to_school,
    )
    application.new_status = new
    application.save(update_fields=["new_status"])
    return application_transition(
        application=application,
        to_state=S.COMPLETED,
        actor=actor,
        comment=_("Status moved to %(school)s.") % {"school": application.to_school.name},
    )
