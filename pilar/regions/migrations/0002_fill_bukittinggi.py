"""Bukittinggi's area tree, frozen here so later loader changes cannot alter it."""

from django.db import migrations

# code, name, kind, aliases
AREAS = [
    ("13", "Sumatera Barat", "provinsi", ["Sumbar"]),
    ("13.75", "Bukittinggi", "kota", ["Kota Bukittinggi"]),
    ("13.75.01", "Guguak Panjang", "kecamatan", ["Guguk Panjang"]),
    ("13.75.01.1001", "Tarok Dipo", "kelurahan", []),
    ("13.75.01.1002", "Bukit Cangang Kayu Ramang", "kelurahan", ["Bukik Cangang Kayu Ramang"]),
    ("13.75.01.1003", "Pakan Kurai", "kelurahan", []),
    ("13.75.01.1004", "Aur Tajungkang Tangah Sawah", "kelurahan", ["Aur Tajungkang Tengah Sawah"]),
    ("13.75.01.1005", "Benteng Pasar Atas", "kelurahan", []),
    ("13.75.01.1006", "Kayu Kubu", "kelurahan", []),
    ("13.75.01.1007", "Bukik Apik Puhun", "kelurahan", ["Bukit Apit Puhun", "Bukit Apit"]),
    ("13.75.02", "Mandiangin Koto Selayan", "kecamatan", ["MKS"]),
    ("13.75.02.1001", "Campago Guguk Bulek", "kelurahan", ["Campago Guguak Bulek"]),
    ("13.75.02.1002", "Campago Ipuh", "kelurahan", []),
    ("13.75.02.1003", "Puhun Tembok", "kelurahan", []),
    ("13.75.02.1004", "Kubu Gulai Bancah", "kelurahan", []),
    ("13.75.02.1005", "Puhun Pintu Kabun", "kelurahan", []),
    ("13.75.02.1006", "Pulai Anak Air", "kelurahan", []),
    ("13.75.02.1007", "Koto Selayan", "kelurahan", []),
    ("13.75.02.1008", "Garegeh", "kelurahan", []),
    ("13.75.02.1009", "Manggis Ganting", "kelurahan", []),
    ("13.75.03", "Aur Birugo Tigo Baleh", "kecamatan", ["ABTB"]),
    ("13.75.03.1001", "Aur Kuning", "kelurahan", []),
    ("13.75.03.1002", "Birugo", "kelurahan", []),
    ("13.75.03.1003", "Belakang Balok", "kelurahan", []),
    ("13.75.03.1004", "Sapiran", "kelurahan", []),
    ("13.75.03.1005", "Kubu Tanjung", "kelurahan", []),
    ("13.75.03.1006", "Pakan Labuah", "kelurahan", ["Pakan Labuh"]),
    ("13.75.03.1007", "Parit Antang", "kelurahan", []),
    ("13.75.03.1008", "Ladang Cakiah", "kelurahan", []),
]


def fill_areas(area_model, alias_model) -> None:
    by_code = {}
    for code, name, kind, aliases in AREAS:
        parent = by_code.get(code.rsplit(".", 1)[0]) if "." in code else None
        area, _ = area_model.objects.get_or_create(
            code=code,
            defaults={"name": name, "kind": kind, "level": code.count(".") + 1, "parent": parent},
        )
        by_code[code] = area
        for alias in aliases:
            alias_model.objects.get_or_create(area=area, name=alias)


def fill(apps, schema_editor):
    fill_areas(apps.get_model("regions", "Area"), apps.get_model("regions", "AreaAlias"))


class Migration(migrations.Migration):
    dependencies = [("regions", "0001_initial")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
