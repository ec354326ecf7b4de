from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from pilar.audit.admin import AuditedAdmin
from pilar.regions.loader import KINDS_BY_LEVEL, normalize_code
from pilar.regions.models import Area, AreaAlias


class AliasInline(admin.TabularInline):
    model = AreaAlias
    extra = 1


class AreaForm(forms.ModelForm):
    """A new area must fit the tree: a Kemendagri code one level below its parent's."""

    class Meta:
        model = Area
        fields = ["code", "name", "kind", "parent"]

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            return data  # code, level, kind and parent are read-only once saved
        try:
            code = normalize_code(data.get("code") or "")
        except ValueError:
            raise forms.ValidationError(
                {"code": _("Write a Kemendagri code such as 13.75.01.1001.")}
            ) from None
        level = code.count(".") + 1
        parent = data.get("parent")
        expected_parent = code.rsplit(".", 1)[0] if level > 1 else None
        if (parent.code if parent else None) != expected_parent:
            raise forms.ValidationError(
                {
                    "parent": _("Code %(code)s belongs under %(parent)s.")
                    % {"code": code, "parent": expected_parent or "—"}
                }
            )
        if data.get("kind") not in KINDS_BY_LEVEL[level]:
            raise forms.ValidationError(
                {
                    "kind": _("Code %(code)s is a %(kinds)s.")
                    % {"code": code, "kinds": " / ".join(sorted(KINDS_BY_LEVEL[level]))}
                }
            )
        data["code"] = code
        self.instance.level = level
        return data


@admin.register(Area)
class AreaAdmin(AuditedAdmin):
    form = AreaForm
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

    # The area tree is shared by every office of the installation: only the top office's
    # administrators add or rename areas (docs/OFFICE.md, "Many offices").
    def has_add_permission(self, request):
        return super().has_add_permission(request) and _top(request)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and _top(request)


def _top(request) -> bool:
    from pilar.accounts.access import is_top, office_of

    return is_top(office_of(request.user))
