from django.contrib import admin
from django.contrib.auth.admin import UserAdmin
from django.forms.models import BaseInlineFormSet

from pilar.accounts.access import grant_area_problem, is_top, office_of, office_users_q
from pilar.accounts.models import ApiToken, RoleGrant, User
from pilar.audit.admin import AuditedAdmin
from pilar.audit.models import AuditEntry
from pilar.audit.services import Actor, audit_record


class RoleGrantFormSet(BaseInlineFormSet):
    """Each role's area lies within the office the user is saved with (docs/OFFICE.md, "Many
    offices"): the formset's instance is the user with the office chosen on the same page."""

    def clean(self):
        super().clean()
        for form in self.forms:
            data = getattr(form, "cleaned_data", None) or {}
            if data.get("DELETE"):
                continue
            problem = grant_area_problem(self.instance, data.get("area"))
            if problem:
                form.add_error("area", problem)


class RoleGrantInline(admin.TabularInline):
    model = RoleGrant
    formset = RoleGrantFormSet
    extra = 1
    autocomplete_fields = ["area"]


def _offices():
    # The office table through the user's link to it: accounts sits below offices in the
    # layers (.importlinter), as in pilar/accounts/access.py.
    return User._meta.get_field("office").related_model.objects


@admin.register(User)
class PilarUserAdmin(AuditedAdmin, UserAdmin):
    """Users and their roles. An office's administrators see and change only their office's
    users (and those of the offices it hosts); the office a user is given is one of the
    offices the administrator may see (docs/OFFICE.md, "Many offices")."""

    inlines = [RoleGrantInline]
    list_display = ["username", "first_name", "last_name", "office", "is_active", "language"]
    list_select_related = ["office"]
    fieldsets = (
        *UserAdmin.fieldsets,
        ("Pilar", {"fields": ("office", "language", "person")}),
    )
    add_fieldsets = (
        *UserAdmin.add_fieldsets,
        ("Pilar", {"fields": ("office",)}),
    )
    raw_id_fields = ["person"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(office_users_q(request.user))

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        person = form.base_fields.get("person")
        if person is not None:
            # A login is linked only to a person the administrator's office may see serving
            # (not another office's pillar: the link would show them whole).
            person.queryset = person.queryset.model.objects.visible_to(request.user)
        return form

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "office":
            kwargs["queryset"] = _offices().visible_to(request.user)
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "office" and not is_top(office_of(request.user)):
            # Empty is the top office: not for an office below it to give.
            field.required = True
        return field


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedAdmin):
    list_display = ["prefix", "user", "name", "created_at", "last_used_at", "revoked_at"]
    # A token stays its user's: moving it to another user would let its holder act as them.
    # It is revoked with the action, never un-revoked or extended here.
    readonly_fields = [
        "user",
        "prefix",
        "digest",
        "created_at",
        "last_used_at",
        "revoked_at",
        "expires_at",
    ]
    actions = ["revoke"]

    def get_queryset(self, request):
        # The tokens of the administrator's office's users only.
        users = User.objects.filter(office_users_q(request.user))
        return super().get_queryset(request).filter(user__in=users.values("pk"))

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
