from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pilar.accounts.access import Capability
from pilar.dtsen.columns import EXTRACT_COLUMNS
from pilar.dtsen.models import ExtractHousehold, HouseholdImport
from pilar.lib.fields import SearchField
from pilar.lib.nik import mask_nik
from pilar.lib.spreadsheet import column_letter
from pilar.regions.choices import AreaCodeField, area_choices
from pilar.regions.models import Area

ACCEPT = ".xlsx,.xls,.ods,.csv,.txt"


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("DTSEN extract"),
        help_text=_(
            "The spreadsheet of households from DTSEN (or DTKS): one row per person. XLSX, XLS, "
            "ODS or CSV. Nothing is saved until you have seen the preview."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
    )


class SheetForm(forms.Form):
    sheet = forms.ChoiceField(label=_("Sheet"))

    def __init__(self, *args, batch: HouseholdImport, **kwargs):
        super().__init__(*args, **kwargs)
        choices = []
        for entry in batch.sheets:
            name, visible = (entry, True) if isinstance(entry, str) else (entry[0], entry[1])
            choices.append((name, name if visible else _("%(name)s (hidden)") % {"name": name}))
        self.fields["sheet"].choices = choices
        self.fields["sheet"].initial = batch.sheet


def masked_sample(sample: str) -> str:
    """A sample cell as the mapping shows it: a NIK or KK number (a long run of digits)
    masked."""
    digits = "".join(ch for ch in str(sample) if ch.isdigit())
    return mask_nik(digits) if len(digits) >= 12 else str(sample)


def column_entries(batch: HouseholdImport) -> list[tuple[int, str, list[str]]]:
    """(index, header, first values) of each column of the batch's sheet."""
    return [(int(entry[0]), entry[1], list(entry[2] or [])) for entry in batch.columns]


class MappingForm(forms.Form):
    """One select per column of the extract: which extract field it holds, or none; the header
    row; and the day the extract's data stands for."""

    header_row = forms.IntegerField(label=_("Header in row"), min_value=1, max_value=1000)
    as_of = forms.DateField(
        label=_("Extract date"),
        help_text=_("The day the extract's data stands for; the decile history is dated with it."),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d-%m-%Y"],
    )

    def __init__(self, *args, batch: HouseholdImport, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["header_row"].initial = batch.header_row
        self.fields["as_of"].initial = batch.as_of
        choices = [("", _("— not imported —"))] + [(c.key, c.label) for c in EXTRACT_COLUMNS]
        self.columns = []
        for index, header, samples in column_entries(batch):
            name = f"col_{index}"
            letter = column_letter(index)
            self.fields[name] = forms.ChoiceField(
                label=f"{letter} · {header}" if header else f"{letter} · " + str(_("(no header)")),
                choices=choices,
                required=False,
                initial=batch.mapping.get(str(index), ""),
            )
            self.columns.append((self[name], [masked_sample(s) for s in samples if s][:3]))

    def clean(self):
        data = super().clean()
        taken: dict[str, str] = {}
        for name, value in list(data.items()):
            if not name.startswith("col_") or not value:
                continue
            if value in taken:
                self.add_error(
                    name,
                    _("Columns %(a)s and %(b)s are both mapped to %(field)s; choose one.")
                    % {
                        "a": self.fields[taken[value]].label,
                        "b": self.fields[name].label,
                        "field": dict(self.fields[name].choices)[value],
                    },
                )
            taken[value] = name
        return data

    def mapping(self) -> dict[str, str]:
        return {
            name.removeprefix("col_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("col_") and value
        }


class CommitForm(forms.Form):
    accept_valid = forms.BooleanField(
        label=_(
            "Save without the rejected households (download their rows to fix and import later)"
        ),
        required=False,
    )


class DecisionsForm(forms.Form):
    """keep/close for each missing household the office accompanies."""

    def __init__(self, *args, households, **kwargs):
        super().__init__(*args, **kwargs)
        self.items = []
        choices = [
            (ExtractHousehold.Decision.KEEP, ExtractHousehold.Decision.KEEP.label),
            (ExtractHousehold.Decision.CLOSE, ExtractHousehold.Decision.CLOSE.label),
        ]
        for item in households:
            name = f"h_{item.pk}"
            self.fields[name] = forms.ChoiceField(
                label=_("KK %(kk)s") % {"kk": mask_nik(item.kk_number)},
                choices=choices,
                required=False,
                initial=item.decision or None,
                widget=forms.RadioSelect,
            )
            self.items.append((item, self[name]))

    def decisions(self) -> dict[int, str]:
        return {
            int(name.removeprefix("h_")): value
            for name, value in self.cleaned_data.items()
            if name.startswith("h_") and value
        }


HOUSEHOLD_STATUS_CHOICES = [("", _("all but unchanged")), ("every", _("every household"))] + list(
    ExtractHousehold.Status.choices
)


class ExtractHouseholdFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False, choices=HOUSEHOLD_STATUS_CHOICES)
    area = AreaCodeField(label=_("Area"), required=False)
    q = SearchField(label=_("KK number"), required=False, max_length=30)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["area"].choices = [("", _("all"))] + area_choices(
            user, Capability.IMPORTS, highest=Area.Level.KECAMATAN
        )


class ImportFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("any"))] + list(HouseholdImport.Status.choices),
    )
    q = SearchField(label=_("File name"), required=False, max_length=100)
