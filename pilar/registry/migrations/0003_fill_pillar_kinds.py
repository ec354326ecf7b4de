"""The pillar kinds every office starts with, frozen here."""

from django.db import migrations

# code, name, level (2 city, 3 kecamatan, 4 kelurahan), minimum and maximum per area, order
KINDS = [
    ("PSM", "Pekerja Sosial Masyarakat", 4, 1, None, 10),
    ("TKSK", "Tenaga Kesejahteraan Sosial Kecamatan", 3, 1, 1, 20),
    ("TAGANA", "Taruna Siaga Bencana", 2, None, None, 30),
    ("PENDAMPING_KUBE", "Pendamping KUBE", 3, None, None, 40),
    ("KARANG_TARUNA", "Karang Taruna", 4, None, None, 50),
    ("PENYULUH_SOSIAL", "Penyuluh Sosial", 2, None, None, 60),
    ("PELOPOR_PERDAMAIAN", "Pelopor Perdamaian", 3, None, None, 70),
    ("PENDAMPING_PKH", "Pendamping PKH", 3, None, None, 80),
]


def fill_kinds(kind_model) -> None:
    for code, name, level, minimum, maximum, order in KINDS:
        kind_model.objects.get_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "min_per_area": minimum,
                "max_per_area": maximum,
                "order": order,
            },
        )


def fill(apps, schema_editor):
    fill_kinds(apps.get_model("registry", "PillarKind"))


class Migration(migrations.Migration):
    dependencies = [("registry", "0002_assignment_no_overlap")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
