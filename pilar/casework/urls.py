from django.urls import path

from pilar.casework import household_views, report_views, views

app_name = "casework"
urlpatterns = [
    path("households/", household_views.household_list, name="household-list"),
    path("households/new/", household_views.household_create, name="household-create"),
    path("households/<int:pk>/", household_views.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", household_views.household_edit, name="household-edit"),
    path("households/<int:pk>/members/", household_views.member_add, name="member-add"),
    path("households/<int:pk>/caseload/", household_views.caseload_assign, name="caseload-assign"),
    path("caseloads/<int:pk>/end/", household_views.caseload_end, name="caseload-end"),
    path("members/<int:pk>/leave/", household_views.member_leave, name="member-leave"),
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
    path("reports/", report_views.report_status, name="report-status"),
    path("reports/mine/", report_views.my_reports, name="my-reports"),
    path("reports/submit/", report_views.report_submit, name="report-submit"),
    path("reports/<int:pk>/", report_views.report_detail, name="report-detail"),
    path("reports/<int:pk>/verify/", report_views.report_verify, name="report-verify"),
    path("reports/<int:pk>/return/", report_views.report_return, name="report-return"),
    path("reports/<int:pk>/reopen/", report_views.report_reopen, name="report-reopen"),
]
