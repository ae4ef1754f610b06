from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from schools.models import User
from schools.selectors import pilot_areas_visible_to, schools_visible_to

from . import selectors
from .guardian import guardian_home
from .province import province_home


@login_required
def home(request):
    """One home per role, answering "what needs me now?"."""
    user = request.user
    now = timezone.now()
    match user.role:
        case User.Role.STUDENT:
            template, context = "workspaces/student.html", selectors.student_home(user, now)
        case User.Role.GUARDIAN:
            template, context = "workspaces/guardian.html", guardian_home(user, now)
        case User.Role.REGISTRAR:
            template, context = "workspaces/registrar.html", selectors.registrar_home(user)
        case User.Role.DISTRICT:
            template, context = "workspaces/district.html", selectors.district_home(user, now)
        case User.Role.BUREAU:
            template, context = "workspaces/bureau.html", selectors.bureau_home(user)
        case User.Role.PROVINCE:
            template, context = "workspaces/province.html", province_home(user)
        case _:
            template, context = (
                "workspaces/admin.html",
                {
                    "school_count": schools_visible_to(user).count(),
                    "area_count": pilot_areas_visible_to(user).count(),
                },
            )
    return render(request, template, context)
