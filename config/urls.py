from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from core import views as core_views
from notifications import profile as profile_views
from schools import account_views, two_factor
from workspaces import views as workspace_views

urlpatterns = [
    path("", workspace_views.home, name="home"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", core_views.readyz, name="readyz"),
    # Signing in and out and changing one's password; no reset by e-mail: a student's or
    # staff member's password is reset by their registrar or administrator.
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/activate/", account_views.activate, name="activate"),
    path("accounts/activate/guardian/", profile_views.guardian_activate, name="guardian_activate"),
    path("accounts/profile/", profile_views.profile, name="profile"),
    path("accounts/two-factor/", two_factor.manage, name="two_factor"),
    path("accounts/two-factor/verify/", two_factor.verify, name="two_factor_verify"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password_change/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password_change/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
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
