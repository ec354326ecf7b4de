from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from pilar.accounts.models import ApiToken, RoleGrant, User
from pilar.audit.admin import AuditedAdmin
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    extra = 1
    autocomplete_fields = ["area"]


@admin.register(User)
class PilarUserAdmin(AuditedAdmin, UserAdmin):
    inlines = [RoleGrantInline]
    list_display = ["username", "first_name", "last_name", "is_active", "language"]
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Pilar", {"fields": ("language", "person")}),
    )
    raw_id_fields = ["person"]


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "digest", "created_at", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # tokens are issued with `pilar token create`, shown once

    @admin.action(description="Revoke")
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            token.revoke()
            audit_record(
                by=Actor.from_request(request),
                action=AuditEntry.Action.TOKEN,
                obj=token,
                note="revoked",
            )
