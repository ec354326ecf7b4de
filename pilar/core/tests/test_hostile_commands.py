"""Commands answer bad dates, months, years, ids and counts with an error naming the option
(a CommandError), never a traceback (docs/INPUT.md)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

HUGE = "99999999999999999999"

CASES = [
    (["stipend_batch", "list", "--year", "9999"], "--year"),
    (["stipend_batch", "list", "--year", "١٢٣٤"], "--year"),
    (["stipend_batch", "list", "--year", HUGE], "--year"),
    (["stipend_batch", "show", HUGE], "id"),
    (["stipend_batch", "show", "-1"], "id"),
    (["stipend_batch", "verify", "abc"], "id"),
    (["stipend_batch", "mark-paid", "1", "--date", "9999-12-31"], "--date"),
    (["stipend_batch", "mark-paid", "1", "--date", "0001-01-01"], "--date"),
    (["stipend_batch", "draft", "--from", "9999-01", "--to", "9999-02", "--kind", "PSM"], "--from"),
    (["stipend_batch", "draft", "--from", "2024-01", "--to", "junk", "--kind", "PSM"], "--to"),
    (["stipend_budget", "--year", "0"], "--year"),
    (["stipend_budget", "--year", "2024", "--source", "APBD", "--amount", HUGE], "--amount"),
    (["stipend_budget", "--year", "2024", "--source", "APBD", "--amount", "１２"], "--amount"),
    (["stipend_rate", "--end", HUGE, "--to", "2024-06"], "--end"),
    (["stipend_rate", "--kind", "PSM", "--amount", "-5", "--from", "2024-01"], "--amount"),
    (["stipend_rate", "--kind", "PSM", "--amount", "400000", "--from", "0001-01"], "--from"),
    (["stipend_eligibility", "--month", "9999-12"], "--month"),
    (["stipend_eligibility", "--month", "2024-13"], "--month"),
    (["synth", "--as-of", "9999-12-31", "--dry-run"], "--as-of"),
    (["synth", "--as-of", "22/10/20245", "--dry-run"], "--as-of"),
    (["synth", "--people", "-1", "--dry-run"], "--people"),
    (["synth", "--people", HUGE, "--dry-run"], "--people"),
    (["synth", "--provinces", "1000", "--dry-run"], "--provinces"),
    (["token", "create", "admin", "--name", "x" * 81], "--name"),
    (["token", "create", "admin", "--name", "CI\x1b[31m"], "--name"),
    (["serve", "--port", "99999"], "--port"),
    (["serve", "--workers", "0"], "--workers"),
]


@pytest.mark.parametrize(("args", "option"), CASES, ids=[" ".join(c[0])[:60] for c in CASES])
def test_bad_option_is_a_command_error_naming_it(reference, monkeypatch, args, option):
    monkeypatch.setenv("PILAR_ALLOW_SYNTH", "1")
    with pytest.raises(CommandError) as refused:
        call_command(*args)
    assert option in str(refused.value)
