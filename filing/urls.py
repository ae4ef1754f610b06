from django.urls import path

from . import views

app_name = "filing"
urlpatterns = [
    path("", views.filing, name="form"),
    path("<slug:area>/<int:cohort_year>/", views.filing_download, name="download"),
]
