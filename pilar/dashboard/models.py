"""The province's summary table: each hosted office's dashboard figures on a date, as plain
numbers, stamped with when they were computed and the data version they were computed at
(docs/DASHBOARD.md, "Province"). Derived data, like the cached figures: kept fresh by
`pilar.dashboard.rollup.refresh`, never typed, not audited."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class OfficeFigures(models.Model):
    office = models.ForeignKey(
        "offices.Office", verbose_name=_("office"), on_delete=models.CASCADE, related_name="+"
    )
    as_of = models.DateField(_("as of"))
    # pilar.dashboard.figures.flat: headcount by kind, casework, arrears, delay and gaps.
    figures = models.JSONField(_("figures"), default=dict)
    # The newest audit entry's id when they were computed (pilar/audit/cache.py): still right
    # while no write has come since.
    version = models.BigIntegerField(_("data version"), default=0)
    computed_at = models.DateTimeField(_("computed at"))

    class Meta:
        verbose_name = _("office figures")
        verbose_name_plural = _("office figures")
        constraints = [
            models.UniqueConstraint(fields=["office", "as_of"], name="office_figures_one_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.office_id} {self.as_of}"
