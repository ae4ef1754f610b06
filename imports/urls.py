from django.urls import path

from . import views

app_name = "imports"
urlpatterns = [
    path("", views.index, name="index"),
    path("imports/<int:pk>/", views.job_detail, name="job"),
    path("imports/<int:pk>/commit/", views.job_commit, name="commit"),
    path("templates/<slug:kind>.<slug:fmt>", views.template_download, name="template"),
    path("exports/<slug:kind>.<slug:fmt>", views.export_download, name="export"),
]
