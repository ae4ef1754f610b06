"""Who gets a seat: student-proposing deferred acceptance over the programmes' rankings.

Pure functions, no database: the services feed them the ranked applicants and the seats, and
record what they return; the tests check them against brute force.

A *programme* is a receiving school and major. Each programme ranks its applicants (those who
met the standards, by the policy's rank order); each applicant lists the programmes they
applied for, in their order of preference. With one choice each (today's policies) the
result is simply each programme's best-ranked applicants up to its seats; with several it is
the student-optimal stable matching (Gale–Shapley), which no applicant can improve on by
misstating their preferences.
"""

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

Applicant = TypeVar("Applicant", bound=Hashable)
Programme = TypeVar("Programme", bound=Hashable)


@dataclass(frozen=True)
class Matching(Generic[Applicant, Programme]):
    """Each applicant's programme (absent: no seat), and each programme's applicants in its
    rank order."""

    seat_of: dict[Applicant, Programme]
    holders: dict[Programme, list[Applicant]]


def deferred_acceptance(
    *,
    preferences: Mapping[Applicant, Sequence[Programme]],
    rankings: Mapping[Programme, Sequence[Applicant]],
    seats: Mapping[Programme, int],
) -> Matching[Applicant, Programme]:
    """Student-proposing deferred acceptance.

    ``preferences``: each applicant's programmes, best first. ``rankings``: each programme's
    acceptable applicants, best first (an applicant absent from a programme's ranking is not
    acceptable to it). ``seats``: how many each programme takes (0 if absent).
    """
    position = {
        programme: {applicant: i for i, applicant in enumerate(ranked)}
        for programme, ranked in rankings.items()
    }
    next_choice = dict.fromkeys(preferences, 0)
    holders: dict[Programme, list[Applicant]] = {p: [] for p in rankings}
    free = list(preferences)
    while free:
        applicant = free.pop()
        choices = preferences[applicant]
        while next_choice[applicant] < len(choices):
            programme = choices[next_choice[applicant]]
            next_choice[applicant] += 1
            rank_of = position.get(programme, {})
            capacity = seats.get(programme, 0)
            if applicant not in rank_of or capacity <= 0:
                continue
            held = holders[programme]
            held.append(applicant)
            held.sort(key=rank_of.__getitem__)
            if len(held) > capacity:
                rejected = held.pop()
                if rejected != applicant:
                    free.append(rejected)
                    break
                continue
            break
    seat_of = {a: p for p, held in holders.items() for a in held}
    return Matching(seat_of=seat_of, holders=holders)


def blocking_pairs(
    matching: Matching[Applicant, Programme],
    *,
    preferences: Mapping[Applicant, Sequence[Programme]],
    rankings: Mapping[Programme, Sequence[Applicant]],
    seats: Mapping[Programme, int],
) -> list[tuple[Applicant, Programme]]:
    """Each (applicant, programme) where the applicant prefers the programme to their own
    seat and the programme has a free seat or holds someone it ranks below them: "justified
    envy". A fair allocation has none."""
    pairs = []
    for applicant, choices in preferences.items():
        own = matching.seat_of.get(applicant)
        for programme in choices:
            if programme == own:
                break
            ranked = list(rankings.get(programme, ()))
            if applicant not in ranked:
                continue
            held = matching.holders.get(programme, [])
            if len(held) < seats.get(programme, 0) or any(
                ranked.index(other) > ranked.index(applicant) for other in held
            ):
                pairs.append((applicant, programme))
    return pairs
