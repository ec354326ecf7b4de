from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pilar.imports.engine.columns import COLUMNS
from pilar.imports.engine.records import StartRule
from pilar.imports.models import Import, ImportRow
from pilar.lib.fields import SearchField
from pilar.lib.params import InputError
from pilar.lib.spreadsheet import column_letter

ACCEPT = ".xlsx,.xls,.ods,.csv,.txt"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("Roster spreadsheet"),
        help_text=_("XLSX, XLS, ODS or CSV. Nothing is saved until you have seen the preview."),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


class SheetForm(forms.Form):
    sheet = forms.ChoiceField(label=_("Sheet"))

    def __init__(self, *args, batch: Import, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sheet"].choices = [
            (name, name if visible else _("%(name)s (hidden)") % {"name": name})
            for name, visible in batch.sheets
        ]
        self.fields["sheet"].initial = batch.sheet


class MappingForm(forms.Form):
    """One select per column of the sheet: which registry field it holds, or none."""

    def __init__(self, *args, batch: Import, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [("", _("— not imported —"))] + [(c.key, c.label) for c in COLUMNS]
        self.columns = []
        for index, header, samples in batch.columns:
            name = f"col_{index}"
            letter = column_letter(index)
            self.fields[name] = forms.ChoiceField(
                label=f"{letter} · {header}" if header else f"{letter} · " + str(_("(no header)")),
                choices=choices,
                required=False,
                initial=batch.mapping.get(str(index), ""),
            )
            self.columns.append((self[name], [s for s in samples if s][:3]))
        # Rows that would add a duty but have no start date (TMT): a rule for the whole file.
        self.fields["start_rule"] = forms.ChoiceField(
            label=_("New duties without a start date (TMT)"),
            choices=Import.StartRule.choices,
            required=False,
            initial=batch.start_rule,
            widget=forms.RadioSelect,
        )
        self.fields["start_rule_date"] = forms.CharField(
            label=_("Start date for all of them"),
            required=False,
            max_length=20,
            initial=batch.start_rule_date.isoformat() if batch.start_rule_date else "",
            widget=forms.DateInput(attrs={"type": "date"}),
        )

    def clean(self):
        data = super().clean()
        if data.get("start_rule") == Import.StartRule.DATE:
            try:
                data["start_rule_value"] = StartRule.from_text(
                    data.get("start_rule_date", ""), str(self.fields["start_rule_date"].label)
                )
            except InputError as exc:
                self.add_error("start_rule_date", exc.message_text)
        elif data.get("start_rule") == Import.StartRule.SK:
            data["start_rule_value"] = StartRule(StartRule.SK)
        return data

    def start_rule(self) -> StartRule | None:
        return self.cleaned_data.get("start_rule_value")

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("col_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("col_") and value
        }


class CommitForm(forms.Form):
    accept_warnings = forms.BooleanField(
        label=_("I have read the warnings and accept them"), required=False
    )
    accept_rejected = forms.BooleanField(
        label=_("Save without the rejected rows (download them to fix and import later)"),
        required=False,
    )


class RowFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Rows"),
        required=False,
        choices=[("", _("all with remarks"))]
        + list(ImportRow.Status.choices)
        + [("warning", _("with warnings")), ("every", _("every row"))],
    )
    q = SearchField(label=_("Name or row number"), required=False, max_length=100)


class ImportFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), required=False, choices=[("", _("any"))] + list(Import.Status.choices)
    )
    q = SearchField(label=_("File name"), required=False, max_length=100)
