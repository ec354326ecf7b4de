from django.urls import path

from pilar.kube import views

app_name = "kube"
urlpatterns = [
    path("", views.group_list, name="group-list"),
    path("new/", views.group_create, name="group-create"),
    path("<int:pk>/", views.group_detail, name="group-detail"),
    path("<int:pk>/edit/", views.group_edit, name="group-edit"),
    # POST-only actions; each shows its refusal on the group page.
    path("<int:pk>/members/", views.member_add, name="member-add"),
    path("members/<int:pk>/remove/", views.member_remove, name="member-remove"),
    path("<int:pk>/companion/", views.companion_set, name="companion-set"),
    path("<int:pk>/aid/", views.aid_add, name="aid-add"),
    path("<int:pk>/notes/", views.note_add, name="note-add"),
    path("<int:pk>/records/", views.record_add, name="record-add"),
    # Corrections: an amending or reversing entry with a reason (docs/CASEWORK.md).
    path("aid/<int:pk>/correct/", views.aid_correct, name="aid-correct"),
    path("aid/<int:pk>/reverse/", views.aid_reverse, name="aid-reverse"),
    path("records/<int:pk>/correct/", views.record_correct, name="record-correct"),
    path("records/<int:pk>/reverse/", views.record_reverse, name="record-reverse"),
]
