from django.contrib import admin

from schools.admin_scoping import ScopedModelAdmin
from schools.selectors import schools_visible_to

from .models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ScopedModelAdmin):
    visible_to = staticmethod(
        lambda user: ImportJob.objects.filter(school__in=schools_visible_to(user))
    )
    list_display = ["filename", "kind", "school", "state", "total_rows", "created_at"]
    list_filter = ["kind", "state"]
    search_fields = ["filename", "school__name"]
    # The file and its rows' results hold the students' numbers: they are read on the job's
    # page, which masks them for anyone but the school's registrars (imports.views).
    exclude = ["content", "results"]
    list_select_related = ["school"]
