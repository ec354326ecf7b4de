from django import template
from django.utils.formats import number_format

from pilar.publik.suppress import HIDDEN, SMALL

register = template.Library()


@register.filter
def count(value) -> str:
    """A published count: 1.234 with Indonesian grouping; "<5" and "*" as they are."""
    if isinstance(value, int):
        return number_format(value, force_grouping=True)
    return "" if value is None else str(value)


@register.filter
def money(value) -> str:
    if isinstance(value, int):
        return "Rp" + number_format(value, force_grouping=True)
    return "" if value is None else str(value)


@register.filter
def hidden(value) -> bool:
    return value in (SMALL, HIDDEN)
