from django.contrib import admin

from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record, plain


def _form_changes(form) -> dict:
    """Changed fields of an admin form, before (its initial values) and after."""
    return {
        name: [plain(form.initial.get(name)), plain(form.cleaned_data.get(name))]
        for name in form.changed_data
        if "password" not in name
    }


class AuditedAdmin(admin.ModelAdmin):
    """Admin screens write the same audit log as the services, inline rows included."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit_record(
            by=Actor.from_request(request),
            action=AuditEntry.Action.UPDATE if change else AuditEntry.Action.CREATE,
            obj=obj,
            changes=_form_changes(form),
        )

    def save_formset(self, request, form, formset, change):
        by = Actor.from_request(request)
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            audit_record(by=by, action=AuditEntry.Action.DELETE, obj=obj)
            obj.delete()
        changed = {f.instance.pk: f for f in formset.forms if f.has_changed()}
        for obj in instances:
            is_new = obj.pk is None
            obj.save()
            inline_form = changed.get(None if is_new else obj.pk)
            audit_record(
                by=by,
                action=AuditEntry.Action.CREATE if is_new else AuditEntry.Action.UPDATE,
                obj=obj,
                changes=_form_changes(inline_form) if inline_form is not None else {},
            )
        formset.save_m2m()

    def delete_model(self, request, obj):
        audit_record(by=Actor.from_request(request), action=AuditEntry.Action.DELETE, obj=obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            self.delete_model(request, obj)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    # An office's administrators read their office's entries (and those of the offices it
    # hosts), as on the audit page (docs/OFFICE.md, "Many offices").
    def get_queryset(self, request):
        from pilar.accounts.access import office_scope_q

        return super().get_queryset(request).filter(office_scope_q(request.user))

    list_display = ["at", "username", "action", "object_type", "object_repr"]
    list_filter = ["action", "source", "object_type"]
    search_fields = ["username", "object_repr"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
