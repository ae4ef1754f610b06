"""``{% load privacy %}``: numbers in templates only as the policy lets the viewer see them
(``students.privacy``): ``{{ student|student_number:request.user }}``,
``{{ student|id_card_number:request.user }}``, a change of personal data's values, and the
form by which district and bureau staff have a student's numbers shown."""

from django import template

from .. import privacy
from ..reveal import RevealForm

register = template.Library()


@register.filter
def student_number(student, user) -> str:
    return privacy.student_number_for(user, student)


@register.filter
def id_card_number(student, user) -> str:
    return privacy.id_card_number_for(user, student)


@register.filter
def old_value(change, user) -> str:
    return privacy.change_value_for(user, change, change.old_value)


@register.filter
def new_value(change, user) -> str:
    return privacy.change_value_for(user, change, change.new_value)


@register.inclusion_tag("students/_reveal_numbers.html", takes_context=True)
def reveal_numbers_form(context, student):
    """The form asking for a reason to show the whole numbers, to those who may ask; the
    page's own bound form (``reveal_form``) when it was sent with errors."""
    user = context["request"].user
    if not privacy.may_reveal_numbers(user, student):
        return {"form": None}
    return {"form": context.get("reveal_form") or RevealForm(), "student": student}
