from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from pilar.accounts import views as account_views
from pilar.audit import views as audit_views
from pilar.backups.views import healthz
from pilar.core.api import mount
from pilar.offices import views as office_views
from pilar.registry import views as registry_views
from pilar.trainings.certificates.views import verify, verify_form

registry_patterns = (
    [
        path("pillars/", registry_views.person_list, name="person-list"),
        path("pillars/new/", registry_views.person_create, name="person-create"),
        path("pillars/new-duty/", registry_views.duty_by_nik, name="duty-by-nik"),
        path("pillars/<int:pk>/", registry_views.person_detail, name="person-detail"),
        path("pillars/<int:pk>/edit/", registry_views.person_edit, name="person-edit"),
        path("pillars/<int:pk>/photo/", registry_views.person_photo, name="person-photo"),
        path(
            "pillars/<int:pk>/assignments/new/",
            registry_views.assignment_create,
            name="assignment-create",
        ),
        path("assignments/<int:pk>/end/", registry_views.assignment_end, name="assignment-end"),
        path("headcount/", registry_views.headcount_view, name="headcount"),
    ],
    "registry",
)

account_patterns = (
    [
        path("login/", account_views.LoginView.as_view(), name="login"),
        path("logout/", account_views.LogoutView.as_view(), name="logout"),
        path("language/", account_views.set_language, name="language"),
        path("push/key", account_views.push_key, name="push-key"),
        path("push/subscribe/", account_views.push_subscribe, name="push-subscribe"),
        path("push/unsubscribe/", account_views.push_unsubscribe, name="push-unsubscribe"),
    ],
    "accounts",
)

admin.site.site_header = _("Pilar settings")
admin.site.site_title = _("Pilar settings")
admin.site.index_title = _("Users, roles and reference tables")

urlpatterns = [
    path("", account_views.home, name="home"),
    path("", include(registry_patterns)),
    path("accounts/", include(account_patterns)),
    path("audit/", audit_views.audit_list, name="audit-list"),
    path("office/", office_views.office_settings, name="office-settings"),
    path("office/boundaries/", office_views.office_boundaries, name="office-boundaries"),
    path("exports/<int:pk>/", audit_views.export_job, name="export-job"),
    path("exports/<int:pk>/download/", audit_views.export_download, name="export-download"),
    path("imports/", include("pilar.imports.urls")),
    path("dtsen/", include("pilar.dtsen.urls")),
    path("verivali/", include("pilar.verivali.urls")),
    path("", include("pilar.casework.urls")),
    path("kube/", include("pilar.kube.urls")),
    path("tagana/", include("pilar.tagana.urls")),
    path("stipends/", include("pilar.stipends.urls")),
    path("trainings/", include("pilar.trainings.urls")),
    path("equipment/", include("pilar.equipment.urls")),
    path("dashboard/", include("pilar.dashboard.urls")),
    path("publik/", include("pilar.publik.urls")),
    path("kinerja/", include("pilar.kinerja.urls")),
    path("outcomes/", include("pilar.outcomes.urls")),
    path("field/", include("pilar.field.urls")),
    path("notices/", include("pilar.notices.urls")),
    path("c/", verify_form, name="certificate-verify-form"),
    path("c/<str:code>/", verify, name="certificate-verify"),
    path("backups/", include("pilar.backups.urls")),
    path("healthz", healthz, name="healthz"),
    path("admin/", admin.site.urls),
    path("api/v1/", mount().urls),
]

handler500 = "pilar.core.views.server_error"
