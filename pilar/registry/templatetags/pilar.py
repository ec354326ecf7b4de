from urllib.parse import urlencode

from django import template
from django.urls import reverse
from django.utils.formats import number_format

register = template.Library()


@register.simple_tag
def people_url(as_of, kind="", area="", exact=False) -> str:
    """The people list behind a headcount figure: same date, kind and area."""
    params = {"active_on": as_of.isoformat()}
    if kind:
        params["kind"] = kind
    if area:
        params["area"] = area
    if exact:
        params["exact"] = "on"
    return reverse("registry:person-list") + "?" + urlencode(params)


@register.simple_tag(takes_context=True)
def panel(context, panel) -> str:
    """A `Panel` another app contributes to this page (pilar/lib/hooks.py): its template, with
    the page's context and the panel's own on top."""
    template = context.template.engine.get_template(panel.template)
    with context.push(**panel.context):
        return template.render(context)


@register.filter
def get(mapping, key):
    return mapping.get(key, 0) if mapping else 0


@register.filter
def rupiah(value) -> str:
    """400000 → Rp400.000 (whole rupiah, Indonesian grouping)."""
    if value in (None, ""):
        return ""
    return "Rp" + number_format(int(value), force_grouping=True)


@register.filter
def percent_of(value, whole) -> int:
    try:
        return round(100 * int(value) / int(whole)) if int(whole) else 0
    except (TypeError, ValueError):
        return 0
