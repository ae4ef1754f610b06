"""Every scale the runner offers is one the generator and the load figures know, so
``make bench SCALE=...`` cannot fail halfway through a long run for a missing entry."""

from bench.generate import SCALES
from bench.load import DURATION, RUSH
from bench.run import SCALE_NAMES


def test_every_scale_is_known_to_every_figure():
    assert set(SCALE_NAMES) == set(SCALES) == set(DURATION) == set(RUSH)


def test_the_scales_grow_and_hold_the_issue_figures():
    sizes = [SCALES[name] for name in SCALE_NAMES]
    assert [s.students for s in sizes] == sorted(s.students for s in sizes)
    for scale in sizes:
        assert scale.batch <= scale.pending <= scale.applications
        assert scale.list_students < scale.students
    city, province = SCALES["city"], SCALES["province"]
    assert city.students * city.credits_per_student == 12_000_000
    assert province.students * province.credits_per_student == 60_000_000
