"""The eligibility criteria a rule pack sets, checked when a student applies.

Each refusal names the setting and its source (the pack and its document), so a student, a
registrar and a district officer can see which rule said no. A criterion that needs data the
product does not hold yet (an entrance exam score, an admission line, a proficiency test
result) says which data is missing and who records it, rather than refusing silently.
"""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from schools.models import AdmissionLine, CooperativeMajor, Major, Pairing, ProgrammeType, School
from students.models import ProficiencyResult, Student

from .models import Application, Direction, TransferPolicy, WindowTerm
from .rules import rule_source, setting_label

LIST = "、"
S = Application.State


def _refuse(policy: TransferPolicy, name: str, message: str) -> ValidationError:
    return ValidationError(
        _("%(message)s (%(setting)s; %(source)s)")
        % {"message": message, "setting": setting_label(name), "source": rule_source(policy, name)}
    )


def once_message(policy: TransferPolicy) -> str:
    if policy.max_applications == 1:
        return _(
            "You have already applied once. Each student can apply to change school only once."
        )
    return ngettext(
        "You have made your %(count)d application: this policy allows %(count)d in all.",
        "You have made your %(count)d applications: this policy allows %(count)d in all.",
        policy.max_applications,
    ) % {"count": policy.max_applications}


#: What ``assert_may_apply_again`` reads of each earlier application, in this order.
EARLIER_FIELDS = ("state", "policy__window_term")


def assert_may_apply_again(earlier: list[tuple[str, str]], policy: TransferPolicy) -> bool:
    """Rule 4 as the policy sets it: ``max_applications`` in all (1: once, ever), counting
    the student's applications under every policy, and never two open at once; after a
    completed move, a transfer back only where the pack allows it (``transfer_back``), as
    often as it allows, and in a later window than the move. ``earlier``: the
    ``EARLIER_FIELDS`` of each earlier application. Returns whether the new application is a
    transfer back."""
    states = [state for state, _term in earlier]
    if any(state in Application.OPEN_STATES for state in states):
        raise ValidationError(
            _(
                "Your application is still going. Withdraw it, or wait until it ends, before "
                "you apply again."
            )
            if policy.max_applications > 1
            else once_message(policy)
        )
    if len(states) >= policy.max_applications:
        raise ValidationError(once_message(policy))
    # Semester ends order as their names do: "10-1" < "10-2" < "11-1" < "11-2".
    moved_under = [term for state, term in earlier if state == S.COMPLETED]
    if not moved_under:
        return False
    source = {"source": rule_source(policy, "transfer_back")}
    if policy.transfer_back == 0:
        raise ValidationError(
            _(
                "Your transfer is complete; a transfer back is not open under this policy "
                "(%(source)s)."
            )
            % source
        )
    if len(moved_under) > policy.transfer_back:
        raise ValidationError(
            _("You have already moved back as often as this policy allows (%(source)s).") % source
        )
    if policy.window_term <= max(moved_under):
        raise ValidationError(
            _(
                "A transfer back is made in a later window than the move, not in the same one "
                "(%(source)s)."
            )
            % source
        )
    return True


def assert_window_open_for(policy: TransferPolicy, direction: str) -> None:
    """The pack opens each direction at some semester ends only (Shandong: vocational →
    general not in grade 11)."""
    terms = policy.terms_for(direction)
    if policy.window_term in terms:
        return
    name = "terms_g2v" if direction == Direction.GENERAL_TO_VOCATIONAL else "terms_v2g"
    raise _refuse(
        policy,
        name,
        _("Students moving %(direction)s apply at the %(terms)s; this window is at the %(term)s.")
        % {
            "direction": Direction(direction).label,
            "terms": LIST.join(str(WindowTerm(t).label) for t in terms) or _("no semester end"),
            "term": WindowTerm(policy.window_term).label,
        },
    )


def assert_programmes_open(
    policy: TransferPolicy, direction: str, pairing: Pairing, majors: Sequence[Major]
) -> None:
    """Into a vocational school, some packs open only 3-year programmes (Shandong: not
    five-year or 3+4)."""
    if direction != Direction.GENERAL_TO_VOCATIONAL or not policy.excluded_programmes:
        return
    kinds = dict(
        CooperativeMajor.objects.filter(pairing=pairing, major__in=majors).values_list(
            "major_id", "programme_type"
        )
    )
    for major in majors:
        kind = kinds.get(major.pk, ProgrammeType.THREE_YEAR)
        if kind in policy.excluded_programmes:
            raise _refuse(
                policy,
                "excluded_programmes",
                _("%(major)s is a %(kind)s programme, which a student moving in cannot join.")
                % {"major": major.name, "kind": ProgrammeType(kind).label},
            )


def assert_entrance_line_met(
    policy: TransferPolicy, direction: str, student: Student, to_school: School
) -> None:
    """Into a general school, some packs ask for that year's entrance exam (中考) score to
    reach the receiving school's admission line (Wenzhou), or the city's minimum line."""
    if (
        direction != Direction.VOCATIONAL_TO_GENERAL
        or policy.entrance_line == TransferPolicy.EntranceLine.NONE
    ):
        return
    if student.entrance_exam_score is None or student.entrance_exam_year is None:
        raise _refuse(
            policy,
            "entrance_line",
            _(
                "Your senior-high entrance exam score and its year are not recorded: ask your "
                "school's registrar to record them."
            ),
        )
    lines = AdmissionLine.objects.filter(year=student.entrance_exam_year)
    if policy.entrance_line == TransferPolicy.EntranceLine.SCHOOL:
        line = lines.filter(school=to_school).first()
        whose = to_school.name
    else:
        line = lines.filter(school__isnull=True, municipality_id=to_school.municipality_id).first()
        whose = _("the city")
    if line is None:
        raise _refuse(
            policy,
            "entrance_line",
            _("The admission line of %(whose)s for %(year)s is not recorded: ask the district.")
            % {"whose": whose, "year": student.entrance_exam_year},
        )
    if student.entrance_exam_score < line.score:
        raise _refuse(
            policy,
            "entrance_line",
            _(
                "Your entrance exam score of %(score)s is below the %(year)s admission line of "
                "%(whose)s, %(line)s."
            )
            % {
                "score": student.entrance_exam_score,
                "year": student.entrance_exam_year,
                "whose": whose,
                "line": line.score,
            },
        )


def assert_proficiency_passed(policy: TransferPolicy, direction: str, student: Student) -> None:
    """Into a general school, some packs ask for passes in provincial proficiency tests
    (学考) by subject (Xiamen: chemistry, geography and biology)."""
    if direction != Direction.VOCATIONAL_TO_GENERAL or not policy.required_passes:
        return
    results: dict[str, bool] = {}
    for subject, passed in ProficiencyResult.objects.filter(
        student=student, subject__in=policy.required_passes
    ).values_list("subject", "passed"):
        results[subject] = results.get(subject, False) or passed
    missing = [s for s in policy.required_passes if s not in results]
    if missing:
        raise _refuse(
            policy,
            "required_passes",
            _(
                "No proficiency test result is recorded for %(subjects)s: ask your school's "
                "registrar to record it."
            )
            % {"subjects": LIST.join(missing)},
        )
    failed = [s for s in policy.required_passes if not results[s]]
    if failed:
        raise _refuse(
            policy,
            "required_passes",
            _("You have not passed the proficiency test in %(subjects)s.")
            % {"subjects": LIST.join(failed)},
        )


def assert_criteria(
    *,
    policy: TransferPolicy,
    direction: str,
    student: Student,
    pairing: Pairing,
    to_school: School,
    majors: Sequence[Major],
) -> None:
    """Every criterion of the policy's pack, in the order a student would ask about them."""
    assert_window_open_for(policy, direction)
    assert_programmes_open(policy, direction, pairing, majors)
    assert_entrance_line_met(policy, direction, student, to_school)
    assert_proficiency_passed(policy, direction, student)
