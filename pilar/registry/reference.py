"""Reference data every installation starts with: the pillar kinds (and, through regions, the
Bukittinggi area tree). Used by the data migrations and to restore them in tests that empty the
database."""

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
        kind_model.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "level": level,
                "min_per_area": minimum,
                "max_per_area": maximum,
                "order": order,
            },
        )


def ensure_reference_data() -> None:
    """Load the Bukittinggi areas and the pillar kinds if they are missing."""
    from pilar.regions.loader import BUKITTINGGI_CSV, load_areas, read_csv
    from pilar.regions.models import Area, AreaAlias
    from pilar.registry.models import PillarKind

    if not Area.objects.filter(code="13.75").exists():
        load_areas(read_csv(BUKITTINGGI_CSV), area_model=Area, alias_model=AreaAlias)
    if PillarKind.objects.count() < len(KINDS):
        fill_kinds(PillarKind)
