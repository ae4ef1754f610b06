"""The provincial education department's home: every city's pilot areas, policies and
transfers, read-only, and the rule pack the province sets for all its cities."""

from django.db.models import Count, Q

from schools.models import User
from schools.selectors import municipalities_visible_to
from transfers.models import Application, TransferPolicy
from transfers.rules import PACKS
from transfers.selectors import applications_visible_to, policies_visible_to

S = Application.State


def province_home(user: User) -> dict:
    applications = applications_visible_to(user)
    policies = policies_visible_to(user)
    cities = list(
        municipalities_visible_to(user)
        .values("pk", "name")
        .annotate(areas=Count("pilot_areas", distinct=True))
        .order_by("code")
    )
    published = dict(
        policies.filter(state=TransferPolicy.State.PUBLISHED)
        .values_list("pilot_area__municipality_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    moves = {
        row["policy__pilot_area__municipality_id"]: row
        for row in applications.values("policy__pilot_area__municipality_id")
        .annotate(
            total=Count("pk"),
            completed=Count("pk", filter=Q(state=S.COMPLETED)),
            back=Count("pk", filter=Q(state=S.COMPLETED, transfer_back=True)),
        )
        .order_by()
    }
    province = user.province
    return {
        "province": province,
        "pack": PACKS.get(province.rule_pack) if province and province.rule_pack else None,
        "packs": PACKS.values(),
        "cities": [
            {
                "name": city["name"],
                "areas": city["areas"],
                "published": published.get(city["pk"], 0),
                "applications": moves.get(city["pk"], {}).get("total", 0),
                "completed": moves.get(city["pk"], {}).get("completed", 0),
                "back": moves.get(city["pk"], {}).get("back", 0),
            }
            for city in cities
        ],
        "pending_policies": policies.filter(state=TransferPolicy.State.PENDING).count(),
    }
