"""The command-line verbs other than the tali kasih ones speak like the pages: a refusal is a
CommandError in words (gettext; asserted here in English, the source), never a traceback; names
typed in another case are found; listings in a stable order."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import translation
from python_calamine import CalamineWorkbook

from pilar.accounts.models import ApiToken
from pilar.imports.tests.files import csv_bytes, template_row


def run(*args) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command(*args, stdout=out)
    return out.getvalue()


def refused(*args) -> str:
    with translation.override("en"), pytest.raises(CommandError) as refusal:
        call_command(*args, stdout=io.StringIO())
    return str(refusal.value)


def test_token_names_users_in_any_case(actors):
    out = run("token", "create", "OPERATOR1", "--name", "script")
    assert "for operator1" in out
    assert ApiToken.objects.get().user == actors["operator"]
    assert "operator1" in run("token", "list", "Operator1")


def test_token_list_refuses_an_unknown_user_and_says_when_empty(actors):
    assert "No user named 'nobody'" in refused("token", "list", "nobody")
    assert run("token", "list").strip() == "No tokens."
    assert "No active user named 'nobody'" in refused("token", "create", "nobody")


def test_token_list_groups_by_user(actors):
    for username in ("operator1", "admin1", "operator1"):
        run("token", "create", username)
    users = [line.split()[1] for line in run("token", "list").splitlines()]
    assert users == ["admin1", "operator1", "operator1"]


def test_token_revoke_of_an_unknown_prefix_points_to_the_list(actors):
    assert "pilar token list" in refused("token", "revoke", "zzzzzzzz")
    run("token", "create", "admin1")
    prefix = ApiToken.objects.get().prefix
    assert f"Revoked {prefix}" in run("token", "revoke", f"{prefix}…")


def test_no_token_prefix_reads_as_an_option(actors):
    """A prefix starting with "-" could not be typed after `pilar token revoke` (argparse
    takes it for an option): one in 64 random prefixes did, and revoking it failed."""
    for _ in range(300):
        token, raw = ApiToken.issue(user=actors["admin"])
        assert not token.prefix.startswith("-") and raw.startswith("pilar_" + token.prefix)


@pytest.fixture
def roster(tmp_path, reference):
    path = tmp_path / "roster.csv"
    path.write_bytes(
        csv_bytes(
            [
                template_row(
                    nik="1375014506850001",
                    name="Siti Uji",
                    sex="P",
                    birth_date="1985-06-05",
                    residence="Tarok Dipo",
                    kind="PSM",
                    kecamatan="Guguak Panjang",
                    kelurahan="Tarok Dipo",
                    start_date="2024-01-02",
                )
            ]
        )
    )
    return path


def test_import_roster_mapping_errors_in_words(roster, tmp_path):
    text = refused("import_roster", str(roster), "--mapping", str(tmp_path / "no.json"))
    assert "Cannot read the mapping file" in text and "Errno" not in text
    listed = tmp_path / "list.json"
    listed.write_text(json.dumps(["nik"]))
    assert "must hold one JSON object" in refused(
        "import_roster", str(roster), "--mapping", str(listed)
    )
    wrong = tmp_path / "wrong.json"
    wrong.write_text(json.dumps({"A": "nomor"}))
    assert "Unknown field 'nomor'" in refused("import_roster", str(roster), "--mapping", str(wrong))
    assert "no such file" in refused("import_roster", str(tmp_path / "nothing.csv"))


def test_import_roster_takes_auto_and_field_names_in_any_case(roster, tmp_path):
    out = run("import_roster", str(roster), "--mapping", "AUTO", "--dry-run")
    assert "dry run: nothing was saved" in out
    upper = tmp_path / "upper.json"
    upper.write_text(json.dumps({"a": "NIK", "b": "Name"}))
    # Read as nik and name (the other columns are not mapped: the rows are rejected for them,
    # not for the mapping).
    text = refused("import_roster", str(roster), "--mapping", str(upper), "--dry-run")
    assert "Unknown field" not in text and "rows rejected" in text


@pytest.mark.parametrize("host", ["", "  ", "127.0.0.1:8000", "local host"])
def test_serve_refuses_a_host_that_is_no_address(host):
    assert "--host" in refused("serve", "--host", host)


def test_serve_takes_an_ipv6_address():
    from pilar.core.management.commands.serve import _host

    assert _host("::1") == "[::1]" and _host(" 127.0.0.1 ") == "127.0.0.1"


def test_import_roster_finds_a_sheet_in_any_case(tmp_path, reference):
    from pilar.imports.tests.files import xlsx_bytes

    path = tmp_path / "roster.xlsx"
    path.write_bytes(xlsx_bytes([template_row(nik="1375014506850001", name="Siti Uji")]))
    sheet = CalamineWorkbook.from_path(str(path)).sheet_names[0]
    text = refused("import_roster", str(path), "--sheet", sheet.upper(), "--dry-run")
    assert "no sheet named" not in text and "rows rejected" in text
    assert f"its sheets: {sheet}" in refused("import_roster", str(path), "--sheet", "Lain")


def test_verbs_are_read_in_any_case_and_after_help():
    from pilar.cli import verb_args

    assert verb_args(["Load-Regions", "x.csv"]) == ["load_regions", "x.csv"]
    assert verb_args(["help", "load-regions"]) == ["help", "load_regions"]
    assert verb_args(["--help"]) == ["--help"] and verb_args([]) == []
    assert verb_args(["token", "create", "Some-User"]) == ["token", "create", "Some-User"]
