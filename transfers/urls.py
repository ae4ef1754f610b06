from django.urls import path

from .views import applications, assessment, policies, queues, selection
from .views import fairness as fairness_views
from .views import score_sheets as score_sheet_views

app_name = "transfers"
urlpatterns = [
    path("policies/", policies.policy_list, name="policies"),
    path("policies/new/", policies.policy_edit, name="policy_new"),
    path("province/pack", policies.province_pack, name="province_pack"),
    path("policies/mine/", policies.student_policy, name="my_policy"),
    path("policies/<int:pk>/", policies.policy_detail, name="policy_detail"),
    path("policies/<int:pk>/edit/", policies.policy_edit, name="policy_edit"),
    path("policies/<int:pk>/submit/", policies.policy_submit, name="policy_submit"),
    path("policies/<int:pk>/review/", policies.policy_review, name="policy_review"),
    path("policies/<int:pk>/publish/", policies.policy_publish, name="policy_publish"),
    path("policies/<int:pk>/new-version/", policies.policy_new_version, name="policy_new_version"),
    path("policies/<int:pk>/scores", assessment.score_sheet, name="score_sheet"),
    path(
        "policies/<int:pk>/scores/template.<slug:fmt>",
        score_sheet_views.score_template,
        name="score_template",
    ),
    path("policies/<int:pk>/scores/upload", score_sheet_views.score_upload, name="score_upload"),
    path(
        "policies/<int:pk>/scores/upload/commit",
        score_sheet_views.score_upload_commit,
        name="score_upload_commit",
    ),
    path("policies/<int:pk>/results", assessment.results, name="results"),
    path("policies/<int:pk>/results/publish", assessment.results_publish, name="results_publish"),
    path("policies/<int:pk>/allocation", selection.allocation, name="allocation"),
    path(
        "policies/<int:pk>/allocation/confirm",
        selection.allocation_confirm,
        name="allocation_confirm",
    ),
    path("policies/<int:pk>/fairness", fairness_views.fairness, name="fairness"),
    path("policies/<int:pk>/notice/", selection.notice, name="notice_latest"),
    path("policies/<int:pk>/notice/<int:number>/", selection.notice, name="notice"),
    path("policies/<int:pk>/notice/<int:number>.pdf", selection.notice_pdf, name="notice_pdf"),
    path("apply/", applications.apply, name="apply"),
    path("applications/", applications.application_list, name="applications"),
    path("applications/<int:pk>/", applications.application_detail, name="application_detail"),
    path(
        "applications/<int:pk>/withdraw/",
        applications.application_withdraw,
        name="application_withdraw",
    ),
    path(
        "applications/<int:pk>/guardian-consent/",
        applications.application_guardian_confirm,
        name="application_guardian_confirm",
    ),
    path(
        "applications/<int:pk>/eligibility/",
        applications.application_eligibility,
        name="application_eligibility",
    ),
    path(
        "applications/<int:pk>/objection/",
        applications.application_objection,
        name="application_objection",
    ),
    path(
        "applications/<int:pk>/resolve/",
        applications.application_resolve,
        name="application_resolve",
    ),
    path(
        "applications/<int:pk>/recommend/",
        applications.application_recommend,
        name="application_recommend",
    ),
    path(
        "applications/<int:pk>/take-back/",
        applications.application_take_back,
        name="application_take_back",
    ),
    path(
        "applications/<int:pk>/decide/",
        applications.application_decide,
        name="application_decide",
    ),
    path("eligibility/", queues.eligibility_queue, name="eligibility"),
    path("objections/", assessment.objection_list, name="objections"),
    path("recommendations/", queues.recommendation_queue, name="recommendations"),
    path("approvals/", queues.approval_queue, name="approvals"),
    path("approvals/batch/", queues.approve_batch, name="approve_batch"),
    path("approvals/batch/<int:pk>/", queues.approval_batch, name="approval_batch"),
]
