"""`{{ amount|rupiah }}`: rupiah as Indonesians write them (1.600.000) in every language."""

from django import template

from pilar.lib import money

register = template.Library()


@register.filter
def rupiah(value) -> str:
    if value is None or value == "":
        return "0"
    return money.rupiah(int(value))
