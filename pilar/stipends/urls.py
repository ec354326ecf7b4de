from django.urls import path

from pilar.stipends import batch_file_views, views
from pilar.stipends.person_views import person_patterns

app_name = "stipends"
urlpatterns = [
    path("", views.batch_list, name="batch-list"),
    path("batches/", views.batch_list, name="batches"),
    path("batches/new/", views.batch_create, name="batch-create"),
    path("batches/<int:pk>/", views.batch_detail, name="batch-detail"),
    path("batches/<int:pk>/refresh/", views.batch_refresh, name="batch-refresh"),
    path("batches/<int:pk>/verify/", views.batch_verify, name="batch-verify"),
    path("batches/<int:pk>/approve/", views.batch_approve, name="batch-approve"),
    path("batches/<int:pk>/return/", views.batch_return, name="batch-return"),
    path("batches/<int:pk>/cancel/", views.batch_cancel, name="batch-cancel"),
    path("batches/<int:pk>/mark-paid/", views.batch_mark_paid, name="batch-mark-paid"),
    path("batches/<int:pk>/result/", views.batch_result, name="batch-result"),
    path("batches/<int:pk>/print/", batch_file_views.batch_print, name="batch-print"),
    path("batches/<int:pk>/job/", batch_file_views.batch_job, name="batch-job"),
    path(
        "batches/<int:pk>/jobs/<int:job_pk>/file",
        batch_file_views.batch_job_file,
        name="batch-job-file",
    ),
    path(
        "batches/<int:pk>/nominatif.pdf", batch_file_views.batch_nominatif, name="batch-nominatif"
    ),
    path("batches/<int:pk>/receipts.pdf", batch_file_views.batch_receipts, name="batch-receipts"),
    path(
        "batches/<int:pk>/transfer.<str:fmt>",
        batch_file_views.batch_transfer,
        name="batch-transfer",
    ),
    path("batches/<int:pk>/transfer/new/", batch_file_views.transfer_round, name="transfer-round"),
    path("batches/<int:pk>/sent/<int:file_pk>/", batch_file_views.sent_file, name="sent-file"),
    path("lines/<int:pk>/remove/", views.line_remove, name="line-remove"),
    path("lines/<int:pk>/reverse/", views.line_reverse, name="line-reverse"),
    path("eligibility/", views.eligibility, name="eligibility"),
    path("rates/", views.rates, name="rates"),
    path("rates/new/", views.rate_create, name="rate-create"),
    path("rates/<int:pk>/end/", views.rate_end, name="rate-end"),
    path("rates/<int:pk>/correct/", views.rate_correct, name="rate-correct"),
    path("budgets/", views.budget_set, name="budget-set"),
    *person_patterns,
]
