from django.urls import path

from . import views

app_name = "transfers"
urlpatterns = [
    path("policies/", views.policy_list, name="policies"),
    path("policies/new/", views.policy_edit, name="policy_new"),
    path("policies/mine/", views.student_policy, name="my_policy"),
    path("policies/<int:pk>/", views.policy_detail, name="policy_detail"),
    path("policies/<int:pk>/edit/", views.policy_edit, name="policy_edit"),
    path(
        "policies/<int:pk>/<slug:action>/",
        views.policy_action,
        name="policy_action",
    ),
    path("policies/<int:pk>/scores", views.score_sheet, name="score_sheet"),
    path("policies/<int:pk>/results", views.results, name="results"),
    path("policies/<int:pk>/results/publish", views.results_publish, name="results_publish"),
    path("apply/", views.apply, name="apply"),
    path("applications/", views.application_list, name="applications"),
    path("applications/<int:pk>/", views.application_detail, name="application_detail"),
    path(
        "applications/<int:pk>/<slug:action>/",
        views.application_action,
        name="application_action",
    ),
    path("eligibility/", views.eligibility_queue, name="eligibility"),
    path("objections/", views.objection_list, name="objections"),
    path("recommendations/", views.recommendation_queue, name="recommendations"),
    path("approvals/", views.approval_queue, name="approvals"),
    path("approvals/batch/", views.approve_batch, name="approve_batch"),
    path("approvals/batch/<int:pk>/", views.approval_batch, name="approval_batch"),
]
