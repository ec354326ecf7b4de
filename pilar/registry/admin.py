from django.contrib import admin

from pilar.audit.admin import AuditedAdmin
from pilar.registry.models import PillarKind


@admin.register(PillarKind)
class PillarKindAdmin(AuditedAdmin):
    """Reference table. People and duties are edited on the registry pages (through services)."""

    list_display = ["code", "name", "level", "min_per_area", "max_per_area", "order"]

    def has_delete_permission(self, request, obj=None):
        return False
