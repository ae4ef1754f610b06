from django.urls import path

from . import filing_views

app_name = "filing"
urlpatterns = [
    path("", filing_views.filing, name="form"),
    path("<slug:area>/<int:cohort_year>/", filing_views.filing_download, name="download"),
]
