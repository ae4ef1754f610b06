from django.urls import path

from . import views

app_name = "students_review"
urlpatterns = [
    path("", views.review_list, name="list"),
    path("findings/", views.review_findings_page, name="findings"),
    path("export/progress.csv", views.export_progress, name="export_progress"),
    path("export/findings.csv", views.export_findings, name="export_findings"),
    path("<int:pk>/", views.review_detail, name="detail"),
    path("<int:pk>/confirm/", views.review_confirm, name="confirm"),
    path("<int:pk>/finish/", views.review_finish, name="finish"),
    path("<int:pk>/reopen/", views.review_reopen, name="reopen"),
]
