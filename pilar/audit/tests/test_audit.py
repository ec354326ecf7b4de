from django.contrib import admin
from django.test import RequestFactory

from pilar.accounts.admin import PilarUserAdmin, RoleGrantInline
from pilar.accounts.models import RoleGrant, User
from pilar.audit.models import AuditEntry
from pilar.tests_support import PASSWORD


def test_role_grant_added_in_admin_is_audited(actors, area):
    superuser = actors["admin"]
    superuser.is_staff = superuser.is_superuser = True  # Django's admin site needs both
    superuser.save()
    target = actors["viewer"]
    request = RequestFactory().post("/admin/")
    request.user = superuser
    model_admin = PilarUserAdmin(User, admin.site)
    inline = RoleGrantInline(User, admin.site)
    FormSet = inline.get_formset(request, obj=target)
    existing = list(target.grants.all())
    prefix = FormSet.get_default_prefix()
    data = {
        f"{prefix}-TOTAL_FORMS": str(len(existing) + 1),
        f"{prefix}-INITIAL_FORMS": str(len(existing)),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }
    for i, grant in enumerate(existing):
        data |= {
            f"{prefix}-{i}-id": str(grant.pk),
            f"{prefix}-{i}-user": str(target.pk),
            f"{prefix}-{i}-role": grant.role,
            f"{prefix}-{i}-area": "",
        }
    n = len(existing)
    data |= {
        f"{prefix}-{n}-user": str(target.pk),
        f"{prefix}-{n}-role": "coordinator",
        f"{prefix}-{n}-area": str(area("13.75.03").pk),
    }
    formset = FormSet(data, instance=target, prefix=prefix)
    assert formset.is_valid(), formset.errors
    model_admin.save_formset(request, None, formset, change=True)
    grant = RoleGrant.objects.get(user=target, role="coordinator")
    entry = AuditEntry.objects.get(object_type="accounts.rolegrant", object_id=str(grant.pk))
    assert entry.action == "create" and entry.username == superuser.username
    assert entry.changes["role"] == [None, "coordinator"]


def test_logins_and_failed_logins_are_audited(client, actors):
    client.post("/accounts/login/", {"username": "operator1", "password": "nope"})
    client.post("/accounts/login/", {"username": "operator1", "password": PASSWORD})
    actions = list(
        AuditEntry.objects.filter(action__in=["login", "login_failed"])
        .order_by("pk")
        .values_list("action", "object_repr")
    )
    assert actions == [("login_failed", "operator1"), ("login", "operator1")]


def test_every_registry_write_is_in_the_person_history(client, actors, people):
    assert client.login(username="operator1", password=PASSWORD)
    a1 = people["a1"]
    client.post(
        f"/pillars/{a1.pk}/edit/",
        {
            "nik": a1.nik,
            "name": "Ani Baru",
            "sex": "P",
            "birth_date": "1985-06-15",
            "phone": "081234567890",
        },
    )
    page = client.get(f"/pillars/{a1.pk}/").content.decode()
    assert "Ani Baru" in page
    assert AuditEntry.objects.filter(person=a1, action="update").get().changes["name"] == [
        "Ani Kecamatan A",
        "Ani Baru",
    ]
    admin_view = client.get("/audit/", {"action": "update"})
    assert admin_view.status_code == 403  # only admins browse the whole log
    client.logout()
    assert client.login(username="admin1", password=PASSWORD)
    listing = client.get("/audit/", {"action": "update"}).content.decode()
    assert "Ani Baru" in listing


def test_audit_export_reads_in_indonesian_local_time(client, actors, people, tmp_path):
    from python_calamine import CalamineWorkbook

    assert client.login(username="admin1", password=PASSWORD)
    response = client.get("/audit/", {"object_type": "registry.person", "format": "xlsx"})
    path = tmp_path / "audit.xlsx"
    path.write_bytes(response.content)
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert rows[0][:2] == ["Waktu", "Pelaku"]
    assert len(rows) - 1 == AuditEntry.objects.filter(object_type="registry.person").count()
    assert "membuat" in {r[4] for r in rows[1:]}
    assert "+00:00" not in rows[1][0] and "." not in rows[1][0]
    assert AuditEntry.objects.filter(object_type="audit.auditentry", username="admin1").exists()
    bad = client.get("/audit/", {"object_type": "no.such"})
    assert bad.context["page"].paginator.count == 0 and bad.context["form"].errors
