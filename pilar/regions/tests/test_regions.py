import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation

from pilar.regions.models import Area


def test_bukittinggi_ships_with_migrations(reference):
    kelurahan = Area.objects.filter(level=4, code__startswith="13.75.")
    assert kelurahan.count() == 24
    assert Area.objects.filter(level=3, code__startswith="13.75.").count() == 3
    assert Area.objects.get(code="13.75.01").aliases.filter(name="Guguk Panjang").exists()
    assert Area.objects.get(code="13.75.03.1006").name == "Pakan Labuah"


def test_load_regions_adds_another_area(reference, tmp_path):
    csv = tmp_path / "agam.csv"
    csv.write_text(
        "code;name;aliases\n1306;Agam;Kab. Agam\n130601;Tanjung Mutiara;\n"
        "1306012001;Tiku Selatan;\n",
        encoding="utf-8-sig",
    )
    out = io.StringIO()
    with translation.override("en"):
        call_command("load_regions", str(csv), stdout=out)
    assert "3 new areas" in out.getvalue()
    desa = Area.objects.get(code="13.06.01.2001")
    assert desa.kind == "desa" and desa.parent.code == "13.06.01"
    assert Area.objects.get(code="13.06").kind == "kabupaten"


def test_load_regions_refuses_a_bad_file_whole(reference, tmp_path):
    csv = tmp_path / "bad.csv"
    csv.write_text("code,name\n14.71,Pekanbaru\n14.71.01,\n99.99.99.99999,X\n")
    before = Area.objects.count()
    with pytest.raises(CommandError) as exc:
        call_command("load_regions", str(csv), stdout=io.StringIO())
    text = str(exc.value)
    assert "Row 3" in text or "Baris 3" in text
    assert Area.objects.count() == before


def test_admin_refuses_an_area_that_does_not_fit_the_tree(reference):
    from pilar.regions.admin import AreaForm

    kec = Area.objects.get(code="13.75.01")
    bad = AreaForm({"code": "13.75.01.99", "name": "Salah", "kind": "kelurahan", "parent": kec.pk})
    assert not bad.is_valid() and "code" in bad.errors
    wrong_parent = AreaForm(
        {"code": "13.75.02.1099", "name": "X", "kind": "kelurahan", "parent": kec.pk}
    )
    assert not wrong_parent.is_valid() and "parent" in wrong_parent.errors
    good = AreaForm(
        {"code": "13.75.01.1099", "name": "Baru", "kind": "kelurahan", "parent": kec.pk}
    )
    assert good.is_valid(), good.errors
    area = good.save()
    assert area.level == 4 and area.code == "13.75.01.1099"
