from django.urls import path

from . import handover, reveal, views

app_name = "students"
urlpatterns = [
    path("", views.student_list, name="list"),
    path("<int:pk>/", views.student_detail, name="detail"),
    path("<int:pk>/hand-over/", handover.student_hand_over_page, name="hand_over"),
    path("<int:pk>/numbers/", reveal.student_reveal_numbers, name="reveal_numbers"),
]
