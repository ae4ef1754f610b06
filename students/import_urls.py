from django.urls import path

from . import import_views as views

app_name = "students_data"
urlpatterns = [
    path("", views.data_index, name="index"),
    path("imports/<int:pk>/", views.import_job_detail, name="job"),
    path("imports/<int:pk>/commit/", views.import_job_commit, name="commit"),
    path("templates/<slug:kind>.<slug:fmt>", views.import_template, name="template"),
    path("exports/<slug:kind>.<slug:fmt>", views.export, name="export"),
]
