"""Properties of ``transfers.allocation``, checked against brute force: pure functions, no
database, so Hypothesis can try many instances quickly.

With one choice each (today's policies), each programme's seats go to its best-ranked
applicants, in the policy's rank order (higher total, then the tie-break components, then
the earlier submission). With several choices, deferred acceptance gives the stable
matching every applicant likes best of all the stable ones; on small instances we list every
matching the seats allow and check that by hand.
"""

import itertools
from dataclasses import dataclass

from hypothesis import given, settings
from hypothesis import strategies as st

from transfers.allocation import Matching, blocking_pairs, deferred_acceptance

# --- one choice each ------------------------------------------------------------------------


@dataclass(frozen=True)
class Applicant:
    """One applicant of the single-choice case; ``submitted`` is the submission order."""

    name: str
    programme: str
    passed: bool
    total: int
    tie_break: tuple[int, ...]
    submitted: int

    def rank_key(self) -> tuple:
        """The policy's rank order, stated independently of the product's ``_rerank``."""
        return (-self.total, *(-score for score in self.tie_break), self.submitted)


PROGRAMMES = ["计算机应用@职高", "电子商务@职高", "计算机应用@普高"]


@st.composite
def single_choice_instances(draw):
    """Applicants each applying for one programme, with few distinct totals and tie-break
    scores so that ties are common, some below a pass mark (not ranked), and 0–4 seats per
    programme (some programmes with no quota at all)."""
    n_components = draw(st.integers(min_value=0, max_value=2))
    n = draw(st.integers(min_value=0, max_value=12))
    submitted = draw(st.permutations(range(n)))
    applicants = [
        Applicant(
            name=f"a{i}",
            programme=draw(st.sampled_from(PROGRAMMES)),
            passed=draw(st.sampled_from([True, True, True, False])),
            total=draw(st.sampled_from([60, 70, 70, 80, 80, 80])),
            tie_break=tuple(draw(st.sampled_from([50, 60, 60])) for _ in range(n_components)),
            submitted=submitted[i],
        )
        for i in range(n)
    ]
    seats = {
        programme: draw(st.integers(min_value=0, max_value=4))
        for programme in PROGRAMMES
        if draw(st.integers(min_value=0, max_value=5))  # mostly with a quota
    }
    return applicants, seats


def _single_choice_inputs(applicants, order):
    """What the services hand to ``deferred_acceptance``: each applicant's one programme;
    each programme's applicants who met the standards, in rank order."""
    preferences = {a.name: [a.programme] for a in order}
    rankings = {
        programme: [
            a.name
            for a in sorted(
                (a for a in applicants if a.programme == programme), key=Applicant.rank_key
            )
            if a.passed
        ]
        for programme in PROGRAMMES
    }
    return preferences, rankings


@settings(max_examples=300, deadline=None)
@given(single_choice_instances(), st.randoms(use_true_random=False))
def test_with_one_choice_each_the_seats_go_to_the_best_ranked_in_rank_order(instance, rnd):
    applicants, seats = instance
    # The order applicants are handed over in must not matter.
    order = list(applicants)
    rnd.shuffle(order)
    preferences, rankings = _single_choice_inputs(applicants, order)

    matching = deferred_acceptance(preferences=preferences, rankings=rankings, seats=seats)

    by_name = {a.name: a for a in applicants}
    # The two views of the result agree, and each holder holds the seat they applied for.
    assert matching.seat_of == {a: p for p, held in matching.holders.items() for a in held}
    for name, programme in matching.seat_of.items():
        assert by_name[name].programme == programme
        assert by_name[name].passed
    for programme in PROGRAMMES:
        held = matching.holders.get(programme, [])
        # No programme over its seats; a programme without a quota has none.
        assert len(held) <= seats.get(programme, 0)
        # Its holders are exactly its best-ranked up to the seats, listed in rank order.
        ranked = rankings[programme]
        assert held == ranked[: seats.get(programme, 0)]
        # The tie-break as stated: nobody outside the seats ranks strictly before a holder
        # on (total, tie-break components, submission), and when the seats run out in a tie
        # the seat goes by the components, then the earlier submission.
        outside = [by_name[a] for a in ranked if a not in held]
        for holder in held:
            for other in outside:
                assert by_name[holder].rank_key() < other.rank_key()
    # Everyone who met the standards has a seat unless their programme's seats are full.
    for a in applicants:
        if a.passed and a.name not in matching.seat_of:
            assert len(matching.holders.get(a.programme, [])) == seats.get(a.programme, 0)


def test_a_tie_on_the_total_is_broken_by_the_components_then_the_submission():
    """The stated order on a hand-made tie: one seat, three applicants on 80.00."""
    applicants = [
        Applicant("early, weaker written", "p", True, 80, (60, 90), submitted=0),
        Applicant("late, better written", "p", True, 80, (70, 50), submitted=2),
        Applicant("middle, better written", "p", True, 80, (70, 50), submitted=1),
    ]
    ranked = [a.name for a in sorted(applicants, key=Applicant.rank_key)]
    assert ranked == ["middle, better written", "late, better written", "early, weaker written"]
    matching = deferred_acceptance(
        preferences={a.name: ["p"] for a in applicants}, rankings={"p": ranked}, seats={"p": 1}
    )
    assert matching.holders == {"p": ["middle, better written"]}


# --- several choices ------------------------------------------------------------------------


@st.composite
def several_choice_instances(draw):
    """At most 6 applicants and 3 programmes: each applicant lists 1–3 distinct programmes
    in order; each programme ranks a subset of the applicants (the others are not acceptable
    to it) and has 0–2 seats."""
    n_programmes = draw(st.integers(min_value=1, max_value=3))
    programmes = [f"p{j}" for j in range(n_programmes)]
    n = draw(st.integers(min_value=1, max_value=6))
    applicants = [f"a{i}" for i in range(n)]
    preferences = {}
    for applicant in applicants:
        k = draw(st.integers(min_value=1, max_value=min(3, n_programmes)))
        preferences[applicant] = draw(st.permutations(programmes))[:k]
    rankings = {}
    for programme in programmes:
        ranked = draw(st.permutations(applicants))
        acceptable = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        rankings[programme] = [a for a, ok in zip(ranked, acceptable, strict=True) if ok]
    seats = {p: draw(st.integers(min_value=0, max_value=2)) for p in programmes}
    return preferences, rankings, seats


def _feasible_matchings(preferences, rankings, seats):
    """Every matching the seats allow in which each applicant is unplaced or holds a seat of
    a programme they listed and that ranks them: as ``{applicant: programme or None}``."""
    applicants = list(preferences)
    options = [[None] + [p for p in preferences[a] if a in rankings.get(p, ())] for a in applicants]
    for choice in itertools.product(*options):
        load = {}
        for programme in choice:
            if programme is not None:
                load[programme] = load.get(programme, 0) + 1
        if all(n <= seats.get(p, 0) for p, n in load.items()):
            yield dict(zip(applicants, choice, strict=True))


def _our_blocking_pairs(assignment, preferences, rankings, seats):
    """Justified envy, written from the definition: the applicant lists the programme above
    their own seat (or has none), the programme ranks them, and it has a free seat or holds
    someone it ranks below them."""
    pairs = set()
    for applicant, choices in preferences.items():
        own = assignment.get(applicant)
        better = choices[: choices.index(own)] if own is not None else choices
        for programme in better:
            ranked = list(rankings.get(programme, ()))
            if applicant not in ranked:
                continue
            held = [a for a, p in assignment.items() if p == programme]
            if len(held) < seats.get(programme, 0) or any(
                ranked.index(other) > ranked.index(applicant) for other in held
            ):
                pairs.add((applicant, programme))
    return pairs


def _as_matching(assignment, rankings) -> Matching:
    holders = {
        p: sorted((a for a, q in assignment.items() if q == p), key=list(ranked).index)
        for p, ranked in rankings.items()
    }
    return Matching(seat_of={a: p for a, p in assignment.items() if p is not None}, holders=holders)


def _prefers_weakly(choices, mine, theirs) -> bool:
    """Whether an applicant with these choices likes ``mine`` at least as much as
    ``theirs`` (None, no seat, is the worst)."""

    def place(programme):
        return choices.index(programme) if programme is not None else len(choices)

    return place(mine) <= place(theirs)


@settings(max_examples=300, deadline=None)
@given(several_choice_instances())
def test_with_several_choices_the_result_is_the_student_optimal_stable_matching(instance):
    preferences, rankings, seats = instance

    matching = deferred_acceptance(preferences=preferences, rankings=rankings, seats=seats)
    result = {a: matching.seat_of.get(a) for a in preferences}

    # Feasible: seats respected, each seat acceptable both ways, holders in rank order.
    assert matching.seat_of == {a: p for p, held in matching.holders.items() for a in held}
    for programme, held in matching.holders.items():
        assert len(held) <= seats.get(programme, 0)
        ranked = list(rankings[programme])
        assert held == sorted(held, key=ranked.index)
        for applicant in held:
            assert programme in preferences[applicant]
    # No justified envy, by the product's check and by ours.
    assert blocking_pairs(matching, preferences=preferences, rankings=rankings, seats=seats) == []
    assert _our_blocking_pairs(result, preferences, rankings, seats) == set()

    stable = [
        m
        for m in _feasible_matchings(preferences, rankings, seats)
        if not _our_blocking_pairs(m, preferences, rankings, seats)
    ]
    assert result in stable
    for other in stable:
        for applicant, choices in preferences.items():
            assert _prefers_weakly(choices, result[applicant], other[applicant]), (
                f"{applicant} prefers {other[applicant]} in the stable {other} to "
                f"{result[applicant]}"
            )


@settings(max_examples=150, deadline=None)
@given(several_choice_instances(), st.data())
def test_blocking_pairs_finds_exactly_the_justified_envy_of_any_matching(instance, data):
    """Not only DA's results: for any matching the seats allow, ``blocking_pairs`` lists
    exactly the pairs the definition gives, each once."""
    preferences, rankings, seats = instance
    feasible = list(_feasible_matchings(preferences, rankings, seats))
    assignment = data.draw(st.sampled_from(feasible))

    found = blocking_pairs(
        _as_matching(assignment, rankings),
        preferences=preferences,
        rankings=rankings,
        seats=seats,
    )

    assert len(found) == len(set(found))
    assert set(found) == _our_blocking_pairs(assignment, preferences, rankings, seats)


def test_blocking_pairs_finds_a_planted_blocking_pair():
    """Hand-made and unstable: 乙 holds 职高's one seat though 职高 ranks 甲 first and 甲
    wants it more than the 普高 seat she holds; and 丙 has no seat while 普高 has a free one
    he listed. 丁 would like 职高 too but 职高 does not rank him, so he envies no one."""
    preferences = {
        "甲": ["职高", "普高"],
        "乙": ["职高"],
        "丙": ["普高"],
        "丁": ["职高"],
    }
    rankings = {"职高": ["甲", "乙"], "普高": ["丙", "甲"]}
    seats = {"职高": 1, "普高": 3}
    unstable = Matching(
        seat_of={"甲": "普高", "乙": "职高"}, holders={"职高": ["乙"], "普高": ["甲"]}
    )

    pairs = blocking_pairs(unstable, preferences=preferences, rankings=rankings, seats=seats)

    assert sorted(pairs) == sorted([("甲", "职高"), ("丙", "普高")])
    # Deferred acceptance on the same instance leaves none.
    fair = deferred_acceptance(preferences=preferences, rankings=rankings, seats=seats)
    assert fair.holders == {"职高": ["甲"], "普高": ["丙"]}
    assert blocking_pairs(fair, preferences=preferences, rankings=rankings, seats=seats) == []
