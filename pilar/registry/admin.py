from django.contrib import admin

from pilar.accounts.access import is_top, office_of
from pilar.audit.admin import AuditedAdmin
from pilar.registry.models import PillarKind


@admin.register(PillarKind)
class PillarKindAdmin(AuditedAdmin):
    """Reference table. People and duties are edited on the registry pages (through services)."""

    list_display = ["code", "name", "level", "min_per_area", "max_per_area", "order"]

    def get_readonly_fields(self, request, obj=None):
        # Duties were checked against the level when given; it cannot change under them.
        return ["code", "level"] if obj else []

    def has_delete_permission(self, request, obj=None):
        return False

    # The kinds and their quotas are shared by every office of the installation: only the top
    # office's administrators change them (docs/OFFICE.md, "Many offices").
    def has_add_permission(self, request):
        return super().has_add_permission(request) and is_top(office_of(request.user))

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and is_top(office_of(request.user))
