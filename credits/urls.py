from django.urls import path

from . import views

app_name = "credits"
urlpatterns = [
    path("transcript/", views.my_transcript, name="my_transcript"),
    path("students/<int:pk>/transcript/", views.transcript, name="transcript"),
    path("students/<int:pk>/transcript.pdf", views.transcript_download, name="transcript_pdf"),
]
