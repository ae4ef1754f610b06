"""Random sequences of actions by random actors, right and wrong ones; after every step the
workflow's invariants hold, whatever was accepted and whatever was refused.

The world (schools, people, a published policy with one seat per quota, students) is built
once per test; each example writes inside a savepoint that ``teardown`` rolls back, so every
example starts from that same world and none sees another's rows. The test runs in
pytest-django's transaction, on SQLite and PostgreSQL alike.

Three cases the machine once found broken are written out as tests at the end.
"""

import contextlib
import datetime
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
    at,
    build_world,
    drive,
    enrol,
    publish_policy,
    scores_for,
    submit,
)

from core.exceptions import NotFound
from schools.models import User
from students.models import StatusRecord
from transfers import services
from transfers.models import (
    Allocation,
    Application,
    ApplicationEvent,
    Objection,
    ResultsVersion,
    SeatQuota,
    TransferPolicy,
)
from transfers.selectors import seat_order_violations
from transfers.workflow import ASSESSOR, AUTOMATIC_TRANSITIONS, SEAT_HOLDING_STATES, TRANSITIONS

S = Application.State
REFUSALS = (ValidationError, PermissionDenied, NotFound)
#: Well after every notice period, even one restarted by a correction at AFTER_NOTICE.
LATER = AFTER_NOTICE + datetime.timedelta(days=30)

picks = st.integers(min_value=0, max_value=7)
reasons = st.sampled_from(["", "  ", "材料核查发现学籍信息不符。"])


def has_applications(machine) -> bool:
    return Application.objects.exists()


def has(*states):
    return lambda machine: Application.objects.filter(state__in=states).exists()


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
        #: Each results version as first read, (policy, number, rows, changes), and each
        #: allocation: none may change or go away afterwards.
        self.versions_seen: dict[int, tuple] = {}
        self.allocations_seen: dict[int, tuple] = {}
        #: The last history row the invariants have seen: what a step wrote comes after it.
        self.events_seen = 0

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

    def _application_in(self, pick, states):
        """One of the applications in these states (the rules that pick one run only when
        there is one)."""
        applications = list(Application.objects.filter(state__in=states).order_by("pk"))
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

    @rule(
        majors=st.lists(
            st.sampled_from(["major", "major", "major_without_class"]), min_size=7, max_size=7
        )
    )
    def everyone_applies(self, majors):
        """Competition for the seats: every student who has not applied does."""
        for student, major in zip(self.students, majors, strict=True):
            self._attempt(
                lambda s=student, m=major: submit(self.policy, s, major=getattr(self.world, m))
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
    @rule(pick=picks, on_notice=st.booleans())
    def object(self, pick, on_notice):
        published = Application.objects.filter(state=S.PUBLISHED).exists()
        application = (
            self._application_in(pick, [S.PUBLISHED])
            if on_notice and published
            else self._application(pick)
        )
        self._attempt(
            lambda: services.objection_lodge(
                actor=application.student.user,
                application=application,
                text="复核",
                now=DURING_NOTICE,
            ),
        )

    @precondition(lambda self: Objection.objects.filter(state=Objection.State.OPEN).exists())
    @rule(
        upheld=st.booleans(),
        component=picks,
        new_value=st.integers(min_value=0, max_value=100),
        # The notice period starts again from the correction: during the first one, or after.
        now=st.sampled_from([DURING_NOTICE, AFTER_NOTICE]),
    )
    def resolve_objection(self, upheld, component, new_value, now):
        objection = Objection.objects.filter(state=Objection.State.OPEN).first()
        scores = list(objection.application.scores.order_by("pk"))
        score = scores[component % len(scores)] if scores else None
        corrections = {score.component_id: Decimal(new_value)} if upheld and score else {}
        self._attempt(
            lambda: services.objection_resolve(
                actor=self.world.district,
                objection=objection,
                upheld=upheld,
                resolution="答复",
                corrections=corrections,
                now=now,
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

    # The allocation and what frees a seat after it.

    @precondition(has(S.PUBLISHED))
    @rule(
        who=st.sampled_from(["district", "district", "district", "other district", "bureau"]),
        now=st.sampled_from([DURING_NOTICE, AFTER_NOTICE, LATER, LATER]),
    )
    def allocate(self, who, now):
        actor = self._actor(who, Application.objects.first())
        self._attempt(
            lambda: services.allocation_confirm(actor=actor, policy=self.policy, now=now),
        )

    @precondition(has(S.SUBMITTED, S.ELIGIBLE, S.ASSESSED, S.PUBLISHED))
    @rule(
        passes=st.lists(st.booleans(), min_size=7, max_size=7),
        bonus=picks,
        objector=st.none() | picks,
        upheld=st.booleans(),
        new_value=st.integers(min_value=0, max_value=100),
    )
    def settle_and_allocate(self, passes, bonus, objector, upheld, new_value):
        """Random steps seldom leave nobody pending, as the allocation asks: everyone
        pending is assessed (passing or not) and published; perhaps one on notice objects;
        open objections are answered (upheld ones with a correction, which restarts the
        notice period); and the district confirms the allocation after every notice period."""
        w = self.world
        for i, application in enumerate(Application.objects.order_by("pk")):
            if application.state == S.SUBMITTED:
                self._attempt(
                    lambda a=application: services.application_confirm_eligibility(
                        actor=w.registrar_of(a.from_school), application=a, eligible=True
                    )
                )
                application.refresh_from_db()
            if application.state == S.ELIGIBLE:
                scores = scores_for(application, passed=passes[i % 7], bonus=(bonus * i) % 7)
                self._attempt(
                    lambda a=application, scores=scores: services.scores_enter(
                        actor=w.district, policy=self.policy, scores={a.pk: scores}
                    )
                )
        if Application.objects.filter(state=S.ASSESSED).exists():
            self._attempt(
                lambda: services.results_publish(actor=w.district, policy=self.policy, now=LATER)
            )
        answered = LATER + datetime.timedelta(days=1)
        if objector is not None and Application.objects.filter(state=S.PUBLISHED).exists():
            application = self._application_in(objector, [S.PUBLISHED])
            self._attempt(
                lambda: services.objection_lodge(
                    actor=application.student.user,
                    application=application,
                    text="复核",
                    now=answered,
                )
            )
        for objection in Objection.objects.filter(state=Objection.State.OPEN):
            score = objection.application.scores.order_by("pk").first()
            corrections = {score.component_id: Decimal(new_value)} if upheld and score else {}
            self._attempt(
                lambda o=objection, c=corrections: services.objection_resolve(
                    actor=w.district,
                    objection=o,
                    upheld=bool(c),
                    resolution="复核。",
                    corrections=c,
                    now=answered,
                )
            )
        after_notice = answered + datetime.timedelta(days=self.policy.notice_days, hours=1)
        self._attempt(
            lambda: services.allocation_confirm(
                actor=w.district, policy=self.policy, now=after_notice
            )
        )

    @precondition(has_applications)
    @rule(
        pick=picks,
        reason=reasons,
        who=st.sampled_from(["district", "district", "other district", "bureau"]),
    )
    def take_back(self, pick, reason, who):
        holders = Application.objects.filter(state=S.RECOMMENDED).exists()
        application = (
            self._application_in(pick, [S.RECOMMENDED]) if holders else self._application(pick)
        )
        actor = self._actor(who, application)
        self._attempt(
            lambda: services.application_take_back(
                actor=actor, application=application, reason=reason
            ),
        )

    @precondition(has(S.PUBLISHED, S.WAITLISTED, S.RECOMMENDED))
    @rule(pick=picks, who=st.sampled_from(["owner", "owner", "other student", "district"]))
    def withdraw_after_the_results(self, pick, who):
        application = self._application_in(pick, [S.PUBLISHED, S.WAITLISTED, S.RECOMMENDED])
        actor = self._actor(who, application)
        self._attempt(
            lambda: services.application_withdraw(actor=actor, application=application),
        )

    @precondition(has(S.RECOMMENDED))
    @rule(pick=picks, reason=reasons, who=st.sampled_from(["bureau", "bureau", "other bureau"]))
    def bureau_rejects(self, pick, reason, who):
        application = self._application_in(pick, [S.RECOMMENDED])
        actor = self._actor(who, application)
        self._attempt(
            lambda: services.application_reject(
                actor=actor, application=application, reason=reason
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
            # One by one, or the allocation as a whole.
            S.PUBLISHED: (
                lambda: services.application_recommend(
                    actor=w.district, application=a, recommend=True, now=AFTER_NOTICE
                )
            )
            if bonus % 2
            else (
                lambda: services.allocation_confirm(actor=w.district, policy=self.policy, now=LATER)
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
        moves = ApplicationEvent.objects.values_list(
            "from_state", "to_state", "actor__role", "application__policy__assessor"
        )
        for from_state, to_state, role, assessor in moves:
            if from_state == "":
                assert (to_state, role) == (S.SUBMITTED, User.Role.STUDENT)
            elif role is None:
                # Taken by the rules (a freed seat filled from the waiting list), no person.
                assert (from_state, to_state) in AUTOMATIC_TRANSITIONS
            else:
                # The table's assessor is the one the policy's pack names.
                assessor_role = (
                    User.Role.DISTRICT if assessor == "district" else User.Role.REGISTRAR
                )
                roles = {
                    assessor_role if r == ASSESSOR else r
                    for r in TRANSITIONS[(from_state, to_state)]
                }
                assert role in roles

    @invariant()
    def seats_go_in_rank_order(self):
        """No seat holder below a better-ranked applicant of their programme who met the
        standards and holds no seat they prefer, nor below the standards, in any policy."""
        for policy in TransferPolicy.objects.all():
            for holder, better in seat_order_violations(policy):
                raise AssertionError(
                    f"{holder} ({holder.state}, rank {holder.rank}) holds a seat while "
                    f"{better} ({better.state}, rank {better.rank}) does not"
                )

    @invariant()
    def a_waiting_list_only_when_the_seats_are_full(self):
        """Whoever waits for a seat waits because the programme's seats are all held, or
        kept for better-ranked applicants not yet allocated (scored after the allocation): a
        freed seat goes to the waiting list in the same step otherwise."""
        held: dict[tuple[int, int], int] = {}
        for school, major in Application.objects.filter(state__in=SEAT_HOLDING_STATES).values_list(
            "to_school", "to_major"
        ):
            held[(school, major)] = held.get((school, major), 0) + 1
        seats = {
            (school, major): n
            for school, major, n in SeatQuota.objects.filter(policy=self.policy).values_list(
                "school", "major", "seats"
            )
        }
        for school, major, rank in Application.objects.filter(state=S.WAITLISTED).values_list(
            "to_school", "to_major", "rank"
        ):
            programme = (school, major)
            free = seats[programme] - held.get(programme, 0)
            kept = Application.objects.filter(
                to_school=school,
                to_major=major,
                state__in=[S.ASSESSED, S.PUBLISHED],
                passed=True,
                rank__lt=rank,
            ).count()
            assert free <= kept, (
                f"{programme}: {held.get(programme, 0)} of {seats[programme]} seats held "
                "while applicants wait"
            )

    @invariant()
    def no_published_version_ever_changes(self):
        """Each results version, once seen, reads the same ever after, and none goes away;
        versions are numbered 1, 2, ... per policy. The same for the allocations."""
        versions = {
            pk: (policy, number, rows, changes)
            for pk, policy, number, rows, changes in ResultsVersion.objects.values_list(
                "pk", "policy", "number", "rows", "changes"
            )
        }
        for pk, first_seen in self.versions_seen.items():
            assert versions.get(pk) == first_seen
        for pk, version in versions.items():
            self.versions_seen.setdefault(pk, version)
        numbers = {}
        for policy, number, _rows, _changes in versions.values():
            numbers.setdefault(policy, []).append(number)
        for policy_numbers in numbers.values():
            assert sorted(policy_numbers) == list(range(1, len(policy_numbers) + 1))
        allocations = {
            pk: rest
            for pk, *rest in Allocation.objects.values_list(
                "pk", "policy", "number", "results_version", "programmes"
            )
        }
        for pk, first_seen in self.allocations_seen.items():
            assert allocations.get(pk) == first_seen
        for pk, allocation in allocations.items():
            self.allocations_seen.setdefault(pk, allocation)

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


# --- cases the machine found ------------------------------------------------------------------


def _two_published_one_seat(world):
    """One seat, a window that stays open after the first results (as a district may
    publish early); 甲 (80.00) and 乙 (70.00) on notice for it."""
    policy = publish_policy(world, seats=1)
    first = drive(world, submit(policy, enrol(world, name="甲")), S.ELIGIBLE)
    second = drive(world, submit(policy, enrol(world, name="乙")), S.ELIGIBLE)
    services.scores_enter(
        actor=world.district,
        policy=policy,
        scores={first.pk: scores_for(first, bonus=20), second.pk: scores_for(second)},
    )
    services.results_publish(actor=world.district, policy=policy, now=at(2025, 1, 16))
    return policy, first, second


def _late(world, policy, *, now):
    """丙 applies later in the window and is confirmed eligible."""
    return drive(world, submit(policy, enrol(world, name="丙"), now=now), S.ELIGIBLE)


def test_recommending_waits_for_a_better_ranked_applicant_not_yet_on_notice(world):
    """A recommendation is refused while a better-ranked applicant is still assessed."""
    policy, first, _second = _two_published_one_seat(world)
    late = _late(world, policy, now=at(2025, 1, 20))
    services.scores_enter(
        actor=world.district, policy=policy, scores={late.pk: scores_for(late, bonus=30)}
    )
    late.refresh_from_db()
    assert (late.state, late.rank) == (S.ASSESSED, 1)

    with pytest.raises(ValidationError, match="seats go in rank order"):
        services.application_recommend(
            actor=world.district, application=first, recommend=True, now=at(2025, 1, 22)
        )

    assert seat_order_violations(policy) == []


@pytest.mark.parametrize("late_state", [S.ASSESSED, S.PUBLISHED])
def test_a_freed_seat_is_kept_for_a_better_ranked_applicant_not_yet_allocated(world, late_state):
    """The seat waits for the next allocation rather than go past the better-ranked."""
    policy, first, second = _two_published_one_seat(world)
    services.allocation_confirm(actor=world.district, policy=policy, now=at(2025, 1, 22))
    # Applies within the window after the allocation; ranks between the holder and the list.
    late = _late(world, policy, now=at(2025, 1, 24))
    services.scores_enter(
        actor=world.district, policy=policy, scores={late.pk: scores_for(late, bonus=10)}
    )
    if late_state == S.PUBLISHED:
        services.results_publish(actor=world.district, policy=policy, now=at(2025, 1, 25))
    late.refresh_from_db()
    second.refresh_from_db()
    assert (late.state, late.rank, second.state, second.rank) == (late_state, 2, S.WAITLISTED, 3)

    services.application_withdraw(actor=first.student.user, application=first)

    assert seat_order_violations(policy) == []
    second.refresh_from_db()
    assert second.state == S.WAITLISTED  # the seat is kept for 丙, ranked above


def test_a_seat_holder_is_not_unrecommended_but_taken_back(world):
    """Only the take-back (with a reason, and the seat moving on) ends a recommendation."""
    policy, first, second = _two_published_one_seat(world)
    services.allocation_confirm(actor=world.district, policy=policy, now=at(2025, 1, 22))

    with pytest.raises(ValidationError, match="taken back with a reason"):
        services.application_recommend(
            actor=world.district, application=first, recommend=False, now=at(2025, 1, 23)
        )

    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.state, second.state) == (S.RECOMMENDED, S.WAITLISTED)
