"""Random sequences of actions by random actors, right and wrong ones; after every step the
workflow's invariants hold, whatever was accepted and whatever was refused.

The world (schools, people, a published policy with one seat per quota, students) is built
once per test; each example writes inside a savepoint that ``teardown`` rolls back, so every
example starts from that same world and none sees another's rows. The test runs in
pytest-django's transaction, on SQLite and PostgreSQL alike.
"""

import contextlib
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from transfer_world import (
    AFTER_NOTICE,
    DURING_NOTICE,
    PUBLISH_AT,
    SUBMIT_AT,
    build_world,
    enrol,
    publish_policy,
    scores_for,
    submit,
)

from core.exceptions import NotFound
from schools.models import User
from students.models import StatusRecord
from transfers import services
from transfers.models import Application, ApplicationEvent, Objection, SeatQuota
from transfers.workflow import SEAT_HOLDING_STATES, TRANSITIONS

S = Application.State
REFUSALS = (ValidationError, PermissionDenied, NotFound)

picks = st.integers(min_value=0, max_value=7)


def has_applications(machine) -> bool:
    return Application.objects.exists()


class TransferWorkflow(RuleBasedStateMachine):
    """Four integration-class students at the general school and two at the vocational one,
    one student outside the classes, one seat per quota so the seats run out."""

    #: Built once per test by ``the_world`` below; each example starts from it.
    world = policy = students = None

    def __init__(self):
        super().__init__()
        # Everything an example writes happens inside this savepoint, undone in teardown.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- helpers ----------------------------------------------------------------------------

    @staticmethod
    def _attempt(action):
        """Run an action; a refusal is an outcome like any other, and the invariants must
        hold after it as after a success."""
        with contextlib.suppress(*REFUSALS):
            action()

    def _application(self, pick):
        """One of the applications (the rules that pick one run only when there is one)."""
        applications = list(Application.objects.order_by("pk"))
        return applications[pick % len(applications)]

    def _actor(self, who, application):
        w = self.world
        return {
            "owner": application.student.user,
            "other student": self.students[-1].user,
            "sending registrar": w.registrar_of(application.from_school),
            "receiving registrar": w.registrar_of(application.to_school),
            "other registrar": w.registrar_other,
            "district": w.district,
            "other district": w.district_other,
            "bureau": w.bureau,
            "other bureau": w.bureau_other,
        }[who]

    # --- rules ------------------------------------------------------------------------------

    @rule(
        who=st.integers(min_value=0, max_value=6),
        # Mostly the same major, so applicants compete for its one seat.
        major=st.sampled_from(["major", "major", "major_without_class", "major_outside"]),
        in_window=st.sampled_from([True, True, True, False]),
    )
    def apply(self, who, major, in_window):
        student = self.students[who]
        now = SUBMIT_AT if in_window else PUBLISH_AT
        self._attempt(
            lambda: submit(self.policy, student, major=getattr(self.world, major), now=now),
        )

    @precondition(has_applications)
    @rule(pick=picks, who=st.sampled_from(["owner", "other student", "sending registrar"]))
    def withdraw(self, pick, who):
        application = self._application(pick)
        actor = self._actor(who, application)
        self._attempt(
            lambda: services.application_withdraw(actor=actor, application=application),
        )

    @precondition(has_applications)
    @rule(
        pick=picks,
        eligible=st.booleans(),
        who=st.sampled_from(
            ["sending registrar", "receiving registrar", "other registrar", "owner", "district"]
        ),
    )
    def confirm_eligibility(self, pick, eligible, who):
        application = self._application(pick)
        actor = self._actor(who, application)
        self._attempt(
            lambda: services.application_confirm_eligibility(
                actor=actor, application=application, eligible=eligible, reason="不符合"
            ),
        )

    @precondition(has_applications)
    @rule(pick=picks, passed=st.booleans(), who=st.sampled_from(["district", "other district"]))
    def enter_scores(self, pick, passed, who):
        application = self._application(pick)
        actor = self._actor(who, application)
        scores = {application.pk: scores_for(application, passed=passed, bonus=pick)}
        self._attempt(
            lambda: services.scores_enter(actor=actor, policy=self.policy, scores=scores),
        )

    @precondition(lambda self: Application.objects.filter(state=S.ASSESSED).exists())
    @rule(other_area=st.booleans())
    def publish_results(self, other_area):
        actor = self.world.district_other if other_area else self.world.district
        self._attempt(
            lambda: services.results_publish(actor=actor, policy=self.policy, now=PUBLISH_AT),
        )

    @precondition(has_applications)
    @rule(pick=picks)
    def object(self, pick):
        application = self._application(pick)
        self._attempt(
            lambda: services.objection_lodge(
                actor=application.student.user,
                application=application,
                text="复核",
                now=DURING_NOTICE,
            ),
        )

    @precondition(lambda self: Objection.objects.filter(state=Objection.State.OPEN).exists())
    @rule(upheld=st.booleans(), new_value=st.integers(min_value=0, max_value=100))
    def resolve_objection(self, upheld, new_value):
        objection = Objection.objects.filter(state=Objection.State.OPEN).first()
        score = objection.application.scores.first()
        corrections = {score.component_id: Decimal(new_value)} if upheld and score else {}
        self._attempt(
            lambda: services.objection_resolve(
                actor=self.world.district,
                objection=objection,
                upheld=upheld,
                resolution="答复",
                corrections=corrections,
            ),
        )

    @precondition(has_applications)
    @rule(
        pick=picks,
        recommend=st.booleans(),
        after_notice=st.booleans(),
        who=st.sampled_from(["district", "other district", "bureau"]),
    )
    def recommend(self, pick, recommend, after_notice, who):
        application = self._application(pick)
        actor = self._actor(who, application)
        self._attempt(
            lambda: services.application_recommend(
                actor=actor,
                application=application,
                recommend=recommend,
                now=AFTER_NOTICE if after_notice else DURING_NOTICE,
            ),
        )

    @precondition(has_applications)
    @rule(
        pick=picks,
        approve=st.booleans(),
        who=st.sampled_from(["bureau", "other bureau", "district"]),
    )
    def decide(self, pick, approve, who):
        application = self._application(pick)
        actor = self._actor(who, application)
        if approve:
            action = lambda: services.application_approve(  # noqa: E731
                actor=actor, application=application
            )
        else:
            action = lambda: services.application_reject(  # noqa: E731
                actor=actor, application=application, reason="不同意"
            )
        self._attempt(action)

    def _next_step(self, application, bonus):
        """The next step of the happy path, by the right actor, or None at its end."""
        w, a = self.world, application
        steps = {
            S.SUBMITTED: lambda: services.application_confirm_eligibility(
                actor=w.registrar_of(a.from_school), application=a, eligible=True
            ),
            S.ELIGIBLE: lambda: services.scores_enter(
                actor=w.district, policy=self.policy, scores={a.pk: scores_for(a, bonus=bonus)}
            ),
            S.ASSESSED: lambda: services.results_publish(
                actor=w.district, policy=self.policy, now=PUBLISH_AT
            ),
            S.PUBLISHED: lambda: services.application_recommend(
                actor=w.district, application=a, recommend=True, now=AFTER_NOTICE
            ),
            S.RECOMMENDED: lambda: services.application_approve(actor=w.bureau, application=a),
        }
        return steps.get(application.state)

    # Random actions alone seldom get an application as far as the bureau, or two applicants
    # to the same last seat; these two push forward.

    @precondition(has_applications)
    @rule(pick=picks)
    def advance(self, pick):
        if step := self._next_step(self._application(pick), pick):
            self._attempt(step)

    @precondition(has_applications)
    @rule()
    def advance_everyone(self):
        for bonus, application in enumerate(Application.objects.order_by("pk")):
            application.refresh_from_db()  # publishing moves the others too
            if step := self._next_step(application, bonus):
                self._attempt(step)

    @precondition(has_applications)
    @rule(pick=picks)
    def complete(self, pick):
        application = self._application(pick)
        self._attempt(
            lambda: services.application_complete(actor=self.world.bureau, application=application),
        )

    # --- invariants -------------------------------------------------------------------------

    @invariant()
    def one_active_registration_per_student(self):
        active = StatusRecord.objects.filter(state=StatusRecord.State.ACTIVE)
        per_student = active.values("student").annotate(n=Count("pk"))
        assert not per_student.filter(n__gt=1).exists()
        assert active.count() == len(self.students)  # and nobody lost theirs

    @invariant()
    def one_application_per_student(self):
        per_student = Application.objects.values("student").annotate(n=Count("pk"))
        assert not per_student.filter(n__gt=1).exists()

    @invariant()
    def seats_are_never_exceeded(self):
        seats = {
            (policy, school, major): n
            for policy, school, major, n in SeatQuota.objects.values_list(
                "policy", "school", "major", "seats"
            )
        }
        holding = (
            Application.objects.filter(state__in=SEAT_HOLDING_STATES)
            .values_list("policy", "to_school", "to_major")
            .annotate(n=Count("pk"))
        )
        for policy, school, major, n in holding:
            assert n <= seats[(policy, school, major)]

    @invariant()
    def the_history_explains_every_state(self):
        chains = {}
        for application, from_state, to_state in ApplicationEvent.objects.order_by(
            "pk"
        ).values_list("application", "from_state", "to_state"):
            chains.setdefault(application, []).append((from_state, to_state))
        for pk, state in Application.objects.values_list("pk", "state"):
            chain = chains[pk]
            assert chain[0] == ("", S.SUBMITTED)
            for before, after in zip(chain, chain[1:], strict=False):
                assert after[0] == before[1]
            assert chain[-1][1] == state

    @invariant()
    def every_move_is_in_the_table_and_made_by_a_role_it_names(self):
        moves = ApplicationEvent.objects.values_list("from_state", "to_state", "actor__role")
        for from_state, to_state, role in moves:
            if from_state == "":
                assert (to_state, role) == (S.SUBMITTED, User.Role.STUDENT)
            else:
                assert role in TRANSITIONS[(from_state, to_state)]

    @invariant()
    def a_transfer_moves_the_student_only_when_completed(self):
        rows = Application.objects.values_list(
            "state",
            "from_status__state",
            "new_status__state",
            "new_status__school",
            "to_school",
        )
        for state, old, new, new_school, to_school in rows:
            if state == S.COMPLETED:
                assert (old, new, new_school) == ("transferred_out", "active", to_school)
            else:
                assert (old, new) == ("active", None)


@pytest.fixture
def the_world(db):
    world = build_world()
    TransferWorkflow.world = world
    TransferWorkflow.policy = publish_policy(world, seats=1)
    TransferWorkflow.students = [enrol(world) for _ in range(4)]
    TransferWorkflow.students += [enrol(world, school=world.vocational) for _ in range(2)]
    TransferWorkflow.students.append(enrol(world, in_class=False))
    yield world
    TransferWorkflow.world = TransferWorkflow.policy = TransferWorkflow.students = None


def test_random_actions_by_random_actors_keep_the_workflow_consistent(the_world):
    run_state_machine_as_test(
        TransferWorkflow,
        settings=settings(
            max_examples=50,
            stateful_step_count=40,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
