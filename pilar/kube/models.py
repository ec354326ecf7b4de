"""KUBE (Kelompok Usaha Bersama): joint-business groups of poor households."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from pilar.regions.models import Area


class KubeGroup(models.Model):
    """A joint-business group of 5–20 heads of poor households in one kelurahan."""

    class Stage(models.TextChoices):
        GROWTH = "growth", _("Growth (penumbuhan)")
        DEVELOPMENT = "development", _("Development (pengembangan)")
        INDEPENDENT = "independent", _("Independent (mandiri)")

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        DISSOLVED = "dissolved", _("Dissolved")

    name = models.CharField(_("group name"), max_length=120)
    area = models.ForeignKey(
        Area,
        verbose_name=_("kelurahan"),
        on_delete=models.PROTECT,
        related_name="kube_groups",
        limit_choices_to={"level": Area.Level.KELURAHAN},
    )
    business_type = models.CharField(_("business type"), max_length=120)
    founded_on = models.DateField(_("founding date"))
    stage = models.CharField(_("stage"), max_length=12, choices=Stage.choices, default="growth")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default="active")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("KUBE group")
        verbose_name_plural = _("KUBE groups")

    def __str__(self) -> str:
        return self.name
