from django.contrib import admin
from django.urls import include, path

from core import views as core_views
from workspaces import views as workspace_views

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("accounts/", include("django.contrib.auth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("schools/", include("schools.urls")),
    path("students/review/", include("students.review.urls")),
    path("students/data/", include("imports.urls")),
    path("students/", include("students.urls")),
    path("credits/", include("credits.urls")),
    path("transfers/filing/", include("filing.urls")),
    path("transfers/notifications/", include("notifications.urls")),
    path("transfers/", include("transfers.urls")),
    path("admin/", admin.site.urls),
]
