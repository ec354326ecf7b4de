"""Areas offered in forms, sized for a country-wide registry (docs/PERFORMANCE.md, "Pages at
national scale"): a select of every kelurahan would run to thousands of options on every page
that shows the form.

- `for_filter(areas)`: a filter lists the areas down to kelurahan while they are few, and only
  the levels above past `MAX_AREA_CHOICES` (a kelurahan can still be named by its code).
- `area_choices(user, capability)`: the choices of an area filter, within the user's scope,
  through `for_filter` and indented by level.
- `AreaCodeField`: the one area filter field of every form: a select of `area_choices`, cleaned
  to the Area its code names.
- `by_code_when_many(field)`: a form that must name one exact area keeps its select while the
  areas are few; past `MAX_AREA_CHOICES` the field takes the area's code in a text box.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability, area_scope
from pilar.regions.models import Area, within_areas_q

MAX_AREA_CHOICES = 400


def _many(areas) -> bool:
    return areas.order_by()[: MAX_AREA_CHOICES + 1].count() > MAX_AREA_CHOICES


def for_filter(areas):
    """`areas` (a queryset) to list in a filter's select."""
    if _many(areas):
        return areas.filter(level__lt=Area.Level.KELURAHAN)
    return areas


def area_choices(
    user, capability: Capability, *, highest: int = Area.Level.CITY, also=()
) -> list[tuple[str, str]]:
    """(code, label) of the areas an area filter offers `user`: from level `highest` down to
    kelurahan, within the user's scope for `capability` widened by the areas `also` (no user: the
    whole tree), through `for_filter`; each label indented by its depth below the list's top."""
    areas = Area.objects.filter(level__gte=highest)
    scope = area_scope(user, capability) if user is not None else None
    if scope is not None:
        areas = areas.filter(within_areas_q([*scope, *also], ""))
    rows = list(for_filter(areas).order_by("code"))
    top = min((a.level for a in rows), default=highest)
    return [(a.code, "\u00a0\u00a0\u00a0" * (a.level - top) + a.label) for a in rows]


def by_code_when_many(field: forms.ModelChoiceField) -> None:
    """Past MAX_AREA_CHOICES areas, `field` takes the area's code typed in a text box; the
    areas it accepts stay those of its queryset (the user's scope)."""
    if not _many(field.queryset):
        return
    field.to_field_name = "code"
    field.widget = forms.TextInput(attrs={"autocomplete": "off", "maxlength": 20})
    field.help_text = _("The area's code, for example 13.75.01.1001.")
    field.error_messages = {
        **field.error_messages,
        "invalid_choice": _("No area you may choose has this code."),
    }


class AreaCodeField(forms.CharField):
    """An area filter: a select of the areas offered (`field.choices = area_choices(...)`),
    cleaned to the Area its code names, None when empty. A code naming an area that is not among
    the choices (a kelurahan past MAX_AREA_CHOICES, typed in the address) is taken too; a code
    naming no area is refused, and says so. What the user may see is the querysets' business:
    an area outside the user's areas only finds nothing (docs/ARCHITECTURE.md)."""

    widget = forms.Select

    @property
    def choices(self) -> list:
        return list(self.widget.choices)

    @choices.setter
    def choices(self, value) -> None:
        self.widget.choices = list(value)

    def clean(self, value) -> Area | None:
        code = (super().clean(value) or "").strip()
        if not code:
            return None
        area = Area.objects.filter(code=code).first()
        if area is None:
            raise forms.ValidationError(
                _("No area has the code %(code)s; choose one from the list."),
                params={"code": code},
            )
        return area
