"""The 26 PMKS/PPKS kinds (Permensos 08/2012) and the activity types per sector, frozen here."""

from django.db import migrations

NEED_CATEGORIES = [
    "Anak Balita Terlantar",
    "Anak Terlantar",
    "Anak Berhadapan dengan Hukum",
    "Anak Jalanan",
    "Anak dengan Kedisabilitasan (ADK)",
    "Anak Korban Tindak Kekerasan",
    "Anak yang Memerlukan Perlindungan Khusus",
    "Lanjut Usia Terlantar",
    "Penyandang Disabilitas",
    "Tuna Susila",
    "Gelandangan",
    "Pengemis",
    "Pemulung",
    "Kelompok Minoritas",
    "Bekas Warga Binaan Lembaga Pemasyarakatan (BWBLP)",
    "ODHA",
    "Korban Penyalahgunaan NAPZA",
    "Korban Trafficking",
    "Korban Tindak Kekerasan",
    "Pekerja Migran Bermasalah Sosial (PMBS)",
    "Korban Bencana Alam",
    "Korban Bencana Sosial",
    "Perempuan Rawan Sosial Ekonomi",
    "Fakir Miskin",
    "Keluarga Bermasalah Sosial Psikologis",
    "Komunitas Adat Terpencil",
]

# sector, code, name
ACTIVITY_TYPES = [
    ("rehabilitasi", "HOME_VISIT", "Kunjungan rumah"),
    ("rehabilitasi", "REFERRAL", "Rujukan ke layanan (panti, rumah sakit, LKS)"),
    ("rehabilitasi", "COUNSELLING", "Bimbingan dan konseling sosial"),
    ("rehabilitasi", "ASSESSMENT", "Asesmen kebutuhan PMKS"),
    ("rehabilitasi", "OUTREACH", "Penjangkauan (ODGJ, gelandangan, pengemis)"),
    ("perlindungan", "BANSOS_PROPOSAL", "Usulan bansos (PKH, BPNT, sembako)"),
    ("perlindungan", "DISASTER_RESPONSE", "Tanggap bencana dan korban kebakaran"),
    ("perlindungan", "EMERGENCY_KITCHEN", "Dapur umum"),
    ("perlindungan", "ADVOCACY", "Advokasi sosial dan bantuan hukum"),
    ("perlindungan", "DATA_UPDATE", "Verifikasi dan pemutakhiran data DTSEN"),
    ("jaminan", "PBI_PAPERS", "Pengurusan PBI / BPJS Kesehatan"),
    ("jaminan", "HEALTH_ESCORT", "Pendampingan berobat dan surat rumah sakit"),
    ("jaminan", "ATENSI", "Asistensi lanjut usia dan penyandang disabilitas (ATENSI)"),
    ("jaminan", "CIVIL_DOCUMENTS", "Pengurusan dokumen kependudukan (KTP, KK, akta)"),
    ("pemberdayaan", "KUBE_COACHING", "Pembinaan KUBE"),
    ("pemberdayaan", "UEP", "Usaha ekonomi produktif (UEP)"),
    ("pemberdayaan", "TRAINING", "Pelatihan dan penyuluhan sosial"),
    ("pemberdayaan", "COMMUNITY_WORK", "Kegiatan kemasyarakatan dan gotong royong"),
]


def fill_reference(category_model, type_model) -> None:
    for number, name in enumerate(NEED_CATEGORIES, start=1):
        category_model.objects.get_or_create(number=number, defaults={"name": name})
    for order, (sector, code, name) in enumerate(ACTIVITY_TYPES, start=1):
        type_model.objects.get_or_create(
            code=code, defaults={"sector": sector, "name": name, "order": order}
        )


def fill(apps, schema_editor):
    fill_reference(
        apps.get_model("casework", "NeedCategory"), apps.get_model("casework", "ActivityType")
    )


class Migration(migrations.Migration):
    dependencies = [("casework", "0001_initial")]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
