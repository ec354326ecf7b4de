from django.urls import path

from pilar.dashboard import monthly_views, views

app_name = "dashboard"
urlpatterns = [
    path("", views.home, name="home"),
    path("reports/", monthly_views.report_list, name="monthly-list"),
    path("reports/generate/", monthly_views.report_generate, name="monthly-generate"),
    path("reports/<int:pk>/", monthly_views.report_detail, name="monthly-detail"),
    path("reports/<int:pk>/status/", monthly_views.report_status, name="monthly-status"),
    path(
        "reports/<int:pk>/report.pdf",
        monthly_views.report_file,
        {"extension": "pdf"},
        name="monthly-pdf",
    ),
    path(
        "reports/<int:pk>/report.xlsx",
        monthly_views.report_file,
        {"extension": "xlsx"},
        name="monthly-xlsx",
    ),
]
