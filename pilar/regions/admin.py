from django.contrib import admin

from pilar.audit.admin import AuditedAdmin
from pilar.regions.models import Area, AreaAlias


class AliasInline(admin.TabularInline):
    model = AreaAlias
    extra = 1


@admin.register(Area)
class AreaAdmin(AuditedAdmin):
    list_display = ["code", "name", "kind", "level"]
    list_filter = ["level", "kind"]
    search_fields = ["code", "name", "aliases__name"]
    inlines = [AliasInline]
    raw_id_fields = ["parent"]

    def get_readonly_fields(self, request, obj=None):
        # Scopes and roll-ups follow codes and parents: fixed once the area exists.
        return ["code", "level", "kind", "parent"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False
