from django.contrib import admin

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record


class AuditedAdmin(admin.ModelAdmin):
    """Admin screens write the same audit log as the services."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            by=Actor.from_request(request),
            action=AuditEntry.Action.UPDATE if change else AuditEntry.Action.CREATE,
            obj=obj,
            changes={
                name: [None, str(form.cleaned_data.get(name))]
                for name in form.changed_data
                if "password" not in name
            },
        )

    def delete_model(self, request, obj):
        audit_record(by=Actor.from_request(request), action=AuditEntry.Action.DELETE, obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    list_display = ["at", "username", "action", "object_type", "object_repr"]
    list_filter = ["action", "source", "object_type"]
    search_fields = ["username", "object_repr"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
