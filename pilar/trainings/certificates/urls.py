"""Certificate pages under /trainings/ (the public verification page is /c/<code>/)."""

from django.urls import path

from pilar.trainings.certificates import views

urlpatterns: list = [
    path("certificates/", views.certificate_list, name="certificate-list"),
    path("certificates/expiring/", views.certificate_expiring, name="certificate-expiring"),
    path("certificates/mine/", views.certificate_mine, name="certificate-mine"),
    path("certificates/<int:pk>/", views.certificate_detail, name="certificate-detail"),
    path("certificates/<int:pk>/pdf/", views.certificate_pdf, name="certificate-pdf"),
    path("certificates/<int:pk>/revoke/", views.certificate_revoke, name="certificate-revoke"),
    path("participants/<int:pk>/certificate/", views.certificate_issue, name="certificate-issue"),
    path("events/<int:pk>/certificates/issue/", views.event_issue, name="certificate-issue-event"),
    path("events/<int:pk>/certificates/print/", views.event_print, name="certificate-print-event"),
    path("certificate-prints/<int:pk>/", views.print_status, name="certificate-print-status"),
    path("certificate-prints/<int:pk>/file/", views.print_file, name="certificate-print-file"),
]
