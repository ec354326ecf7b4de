"""Accessibility rules that hold without a browser (docs/ACCESSIBILITY.md)."""

import re

from pilar.tests_support import login


def test_a_fields_help_is_the_description_its_input_points_to(client, actors):
    """Django points each input with help text at `<id>_helptext` (aria-describedby): the help
    printed under the field carries that id, so a screen reader reads it with the field."""
    login(client, actors["operator"])
    html = client.get("/pillars/new/").content.decode()
    described = re.findall(r'aria-describedby="([^"]+)"', html)
    assert "id_nik_helptext" in described
    ids = set(re.findall(r'\sid="([^"]+)"', html))
    for reference in described:
        assert set(reference.split()) <= ids, reference
