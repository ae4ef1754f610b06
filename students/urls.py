from django.urls import path

from . import account_views, handover, reveal, views

app_name = "students"
urlpatterns = [
    path("", views.student_list, name="list"),
    path("<int:pk>/", views.student_detail, name="detail"),
    path("<int:pk>/hand-over/", handover.student_hand_over_page, name="hand_over"),
    path("accounts/", account_views.accounts_page, name="accounts"),
    path("accounts/class/<int:class_pk>/", account_views.class_slips, name="class_slips"),
    path("<int:pk>/slip/", account_views.student_slip, name="slip"),
    path("<int:pk>/numbers/", reveal.student_reveal_numbers, name="reveal_numbers"),
]
