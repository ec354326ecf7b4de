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

    def has_delete_permission(self, request, obj=None):
        return False
