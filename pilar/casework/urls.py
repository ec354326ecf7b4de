from django.urls import path

from pilar.casework.views import activities, households, reports

app_name = "casework"
urlpatterns = [
    path("households/", households.household_list, name="household-list"),
    path("households/new/", households.household_create, name="household-create"),
    path("households/<int:pk>/", households.household_detail, name="household-detail"),
    path("households/<int:pk>/edit/", households.household_edit, name="household-edit"),
    path("households/<int:pk>/members/", households.member_add, name="member-add"),
    path("households/<int:pk>/notes/", households.note_add, name="note-add"),
    path("households/<int:pk>/caseload/", households.caseload_assign, name="caseload-assign"),
    path("caseloads/<int:pk>/end/", households.caseload_end, name="caseload-end"),
    path("members/<int:pk>/leave/", households.member_leave, name="member-leave"),
    path("caseload/", households.caseload, name="caseload"),
    path("caseload/reassign/", households.caseload_reassign, name="caseload-reassign"),
    path("activities/", activities.activity_list, name="activity-list"),
    path("activities/new/", activities.activity_create, name="activity-create"),
    path("activities/<int:pk>/", activities.activity_detail, name="activity-detail"),
    path("activities/<int:pk>/photo/", activities.activity_photo, name="activity-photo"),
    path("activities/<int:pk>/cancel/", activities.activity_cancel, name="activity-cancel"),
    path("activities/<int:pk>/follow-up-done/", activities.follow_up_done, name="follow-up-done"),
    path("follow-ups/", activities.follow_ups, name="follow-ups"),
    path("casework/", reports.summary, name="summary"),
    path("reports/", reports.report_status, name="report-status"),
    path("reports/mine/", reports.my_reports, name="my-reports"),
    path("reports/submit/", reports.report_submit, name="report-submit"),
    path("reports/<int:pk>/", reports.report_detail, name="report-detail"),
    path("reports/<int:pk>/verify/", reports.report_verify, name="report-verify"),
    path("reports/<int:pk>/return/", reports.report_return, name="report-return"),
    path("reports/<int:pk>/reopen/", reports.report_reopen, name="report-reopen"),
]
