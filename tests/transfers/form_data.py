"""The data of the pages' forms as a browser posts them, for the tests that post them."""

import datetime

from transfer_world import COHORT, STANDARDS, SUBMIT_AT


def policy_form(world, title, *, saved: bool = False):
    """The policy page's form; ``saved``: rows the page shows as the draft's own."""
    data = {
        "title": title,
        "cohort_year": str(COHORT),
        "window_opens": "2025-01-10T08:00",
        "window_closes": "2025-02-10T17:00",
        "notice_days": "5",
        "tie_break_method": "submission",
        "components-TOTAL_FORMS": str(len(STANDARDS)),
        "components-INITIAL_FORMS": str(len(STANDARDS)) if saved else "0",
        "quotas-TOTAL_FORMS": "4",
        "quotas-INITIAL_FORMS": "4" if saved else "0",
    }
    for i, (direction, kind, name, top, mark, weight) in enumerate(STANDARDS):
        data |= {
            f"components-{i}-direction": direction,
            f"components-{i}-kind": kind,
            f"components-{i}-name": name,
            f"components-{i}-max_score": str(top),
            f"components-{i}-pass_mark": str(mark),
            f"components-{i}-weight": str(weight),
        }
    quotas = [
        (world.vocational, world.major, 4),
        (world.vocational, world.major_without_class, 4),
        (world.general, world.major, 4),
        (world.general, world.major_without_class, 0),
    ]
    for i, (school, major, seats) in enumerate(quotas):
        data |= {
            f"quotas-{i}-school": str(school.pk),
            f"quotas-{i}-major": str(major.pk),
            f"quotas-{i}-seats": str(seats),
        }
    return data


def apply_form(world):
    return {
        "to_major": str(world.major.pk),
        "reason": "我更喜欢动手实践。",
        "guardian_name": "王芳",
        "guardian_relation": "母亲",
        "guardian_phone": "13800001111",
        "guardian_consent_date": (SUBMIT_AT.date() - datetime.timedelta(days=1)).isoformat(),
        "guardian_consents": "on",
        "understands_once_only": "on",
    }
