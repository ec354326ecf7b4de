from django.urls import path

from pilar.casework import views

app_name = "casework"
urlpatterns = [
    path("households/", views.household_list, name="household-list"),
    path("households/new/", views.household_create, name="household-create"),
    path("households/<int:pk>/", views.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", views.household_edit, name="household-edit"),
    path("households/<int:pk>/members/", views.member_add, name="member-add"),
    path("households/<int:pk>/caseload/", views.caseload_assign, name="caseload-assign"),
    path("caseloads/<int:pk>/end/", views.caseload_end, name="caseload-end"),
    path("members/<int:pk>/leave/", views.member_leave, name="member-leave"),
    path("caseload/", views.caseload, name="caseload"),
    path("caseload/reassign/", views.caseload_reassign, name="caseload-reassign"),
    path("activities/", views.activity_list, name="activity-list"),
    path("activities/new/", views.activity_create, name="activity-create"),
    path("activities/<int:pk>/", views.activity_detail, name="activity-detail"),
    path("activities/<int:pk>/photo/", views.activity_photo, name="activity-photo"),
    path("activities/<int:pk>/cancel/", views.activity_cancel, name="activity-cancel"),
    path("activities/<int:pk>/follow-up-done/", views.follow_up_done, name="follow-up-done"),
    path("follow-ups/", views.follow_ups, name="follow-ups"),
    path("casework/", views.summary, name="summary"),
    path("reports/", views.report_status, name="report-status"),
    path("reports/mine/", views.my_reports, name="my-reports"),
    path("reports/submit/", views.report_submit, name="report-submit"),
    path("reports/<int:pk>/", views.report_detail, name="report-detail"),
    path("reports/<int:pk>/verify/", views.report_verify, name="report-verify"),
    path("reports/<int:pk>/return/", views.report_return, name="report-return"),
    path("reports/<int:pk>/reopen/", views.report_reopen, name="report-reopen"),
]
