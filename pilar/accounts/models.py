from __future__ import annotations

import datetime
import hashlib
import secrets

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    OPERATOR = "operator", _("Operator")
    APPROVER = "approver", _("Approver (head of office)")
    FINANCE = "finance", _("Finance (treasurer)")
    COORDINATOR = "coordinator", _("Coordinator (TKSK)")
    PILLAR = "pillar", _("Pillar (field volunteer)")
    VIEWER = "viewer", _("Viewer (aggregates only)")


class User(AbstractUser):
    """A login. What it may do comes from its role grants, never from Django's staff flags alone."""

    language = models.CharField(
        _("language"),
        max_length=5,
        choices=[("id", "Bahasa Indonesia"), ("en", "English")],
        default="id",
    )
    person = models.OneToOneField(
        "registry.Person",
        verbose_name=_("person in the registry"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="user",
        help_text=_("Links a pillar's login to their own record."),
    )
    # The office the user works for (docs/OFFICE.md, "Many offices"): every role's scope lies
    # within its area. Empty: the office at the top of the installation (the only one in a
    # single-office installation, the province's when a province hosts its kab/kota).
    office = models.ForeignKey(
        "offices.Office",
        verbose_name=_("office"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="users",
        help_text=_("The office the user works for. Empty: the office at the top of Pilar."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")


def outside_office_message(area, office) -> str:
    return _(
        "%(area)s lies outside the area of %(office)s (%(office_area)s): a role's area must lie "
        "within the user's office; choose an area within it, or leave it empty for the whole "
        "office."
    ) % {"area": area.label, "office": office.name, "office_area": office.area.label}


class RoleGrant(models.Model):
    """A role a user holds, limited to an area (empty: the whole office's area)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="grants")
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    area = models.ForeignKey(
        "regions.Area",
        verbose_name=_("scope"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("Empty: everywhere. A kecamatan or kelurahan limits the role to it."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("role grant")
        verbose_name_plural = _("role grants")
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "area"], name="rolegrant_unique"),
            models.CheckConstraint(
                condition=~Q(role="coordinator") | Q(area__isnull=False),
                name="rolegrant_coordinator_has_area",
            ),
        ]

    def __str__(self) -> str:
        scope = self.area.label if self.area_id else _("everywhere")
        return f"{self.user} · {self.get_role_display()} · {scope}"

    def clean(self) -> None:
        """A role's area lies within the user's office's (docs/OFFICE.md, "Many offices"); a
        user without an office works for the top office, checked by the services and the admin
        (`pilar.accounts.access.grant_area_problem`)."""
        super().clean()
        office = self.user.office if self.user_id and self.user.office_id else None
        outside = (
            self.area_id
            and office is not None
            and office.area_id
            and not self.area.is_within(office.area)
        )
        if outside:
            raise ValidationError({"area": [outside_office_message(self.area, office)]})


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiTokenQuerySet(models.QuerySet):
    def live(self) -> ApiTokenQuerySet:
        return self.filter(revoked_at__isnull=True, user__is_active=True)


class ApiToken(models.Model):
    """A bearer token for scripts. Only its SHA-256 digest is stored; the token is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=80, blank=True)
    prefix = models.CharField(max_length=8)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # Empty: the token lives until revoked. Set: it is refused from this moment on.
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user})"

    @classmethod
    def issue(
        cls, *, user: User, name: str = "", expires_at: datetime.datetime | None = None
    ) -> tuple[ApiToken, str]:
        raw = "pilar_" + secrets.token_urlsafe(32)
        while raw[6] == "-":
            # The prefix is typed after `pilar token revoke`: one starting with "-" would be
            # read as an option there.
            raw = "pilar_" + secrets.token_urlsafe(32)
        token = cls.objects.create(
            user=user, name=name, prefix=raw[6:14], digest=hash_token(raw), expires_at=expires_at
        )
        return token, raw

    def has_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    def revoke(self) -> None:
        self.revoked_at = timezone.now()
        self.save(update_fields=["revoked_at"])


class LoginFailure(models.Model):
    """A failed login, kept for throttling (in the database, so every server process agrees)."""

    username = models.CharField(max_length=150, db_index=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["ip", "at"])]

    def __str__(self) -> str:
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"


class SubmittedForm(models.Model):
    """A form post seen a moment ago (`pilar.accounts.once.submit_once`): a second identical post
    within the window (a double click, a reload that posts again) is sent to the first one's
    result instead of saving the same thing twice. Rows older than the window are deleted."""

    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    location = models.CharField(max_length=500, blank=True)

    def __str__(self) -> str:
        return f"{self.key[:12]} {self.created_at:%Y-%m-%d %H:%M:%S}"


class PushSubscription(models.Model):
    """A browser that asked for this user's notifications (docs/NOTICES.md, "Web push"): the
    push service's address for it and the keys its messages are encrypted with. One row per
    browser: the endpoint names it, whoever signed in on it last owns it."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="push_subscriptions", verbose_name=_("user")
    )
    endpoint = models.CharField(_("push address"), max_length=2000, unique=True)
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=50)
    user_agent = models.CharField(_("browser"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("turned on"), auto_now_add=True)
    last_ok_at = models.DateTimeField(_("last delivered"), null=True, blank=True)

    class Meta:
        verbose_name = _("push subscription")
        verbose_name_plural = _("push subscriptions")

    def __str__(self) -> str:
        return f"{self.user} · {self.user_agent[:40] or self.endpoint[:40]}"
