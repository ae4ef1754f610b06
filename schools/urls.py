from django.urls import path

from . import invitations, views

app_name = "schools"
urlpatterns = [
    path("", views.school_list, name="list"),
    path("<int:pk>/", views.school_detail, name="detail"),
    path("staff/", invitations.staff_page, name="staff"),
    path("staff/<int:pk>/invite/", invitations.staff_reinvite, name="staff_reinvite"),
    path("admission-lines/", views.admission_lines, name="admission_lines"),
]
