"""The forms of a verivali round on a pillar's phone and on the coordinator's review page:
the finding of a visit (one kind, then only the fields that kind needs), a proposed household,
and the review's filter and return note (docs/CASEWORK.md, "Verivali in the field").

The finding form is one form whatever the kind: the page shows the fields of the kind chosen
(pilar/static/pilar/verivali.js) and works without script too, because `service_data` keeps
only what the chosen kind needs and `clean` asks only for that."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilar.casework.models import Relation
from pilar.lib.fields import BirthDateField, DateField, SearchField
from pilar.lib.nik import normalize_nik
from pilar.lib.photos import PhotoField
from pilar.registry.forms import DateInput
from pilar.verivali.models import Finding

SEX_CHOICES = [("", "—"), ("L", _("Male")), ("P", _("Female"))]
DECILE_CHOICES = [("", "—")] + [(str(i), str(i)) for i in range(1, 11)]
MEMBER_FIELDS = ("nik", "name", "sex", "birth_date", "relation")
NEW_MEMBER_ROWS = 2
PROPOSED_MEMBER_ROWS = 4
# The fields of the household itself a correction may change.
HOUSEHOLD_FIELDS = ("address", "rt_rw", "decile", "kk_number", "dtsen_id")
# The kinds a pillar chooses for a listed household (a proposal has its own page).
VISIT_KINDS = [c for c in Finding.Kind.choices if c[0] != Finding.Kind.PROPOSED]
# For each kind, the fields of its own (the rest of the form is hidden and not read).
KIND_FIELDS = {
    Finding.Kind.CORRECTED: ("corrections",),
    Finding.Kind.MOVED: ("moved_to",),
    Finding.Kind.DECEASED: ("deceased_member", "deceased_on"),
    Finding.Kind.SPLIT: ("split_members",),
}


def digits_input():
    return forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"})


def _number_field(label, help_text=""):
    return forms.CharField(
        label=label, required=False, max_length=40, widget=digits_input(), help_text=help_text
    )


def _clean_number(value: str, label: str, digits: int = 16) -> str:
    value = normalize_nik(value)
    if value and not (value.isascii() and value.isdigit() and len(value) == digits):
        raise forms.ValidationError(
            _("%(label)s has %(digits)d digits; check the card and type it again.")
            % {"label": label, "digits": digits}
        )
    return value


def _member_row_fields(prefix: str, *, required_name: bool = False) -> dict:
    """The five fields of one member row, named `<prefix>_<field>`."""
    return {
        f"{prefix}_nik": _number_field(_("NIK")),
        f"{prefix}_name": forms.CharField(label=_("Name"), required=required_name, max_length=150),
        f"{prefix}_sex": forms.ChoiceField(label=_("Sex"), choices=SEX_CHOICES, required=False),
        f"{prefix}_birth_date": BirthDateField(
            label=_("Date of birth"), required=False, widget=DateInput()
        ),
        f"{prefix}_relation": forms.ChoiceField(
            label=_("Relation to head"),
            choices=[("", "—"), *Relation.choices],
            required=False,
        ),
    }


class MemberRowsMixin:
    """Rows of members typed on a form (a new member, a proposed household's members): a row
    is read when its name is filled; a row with a name needs its sex and relation."""

    def filled(self, prefixes) -> list[str]:
        """The rows of `prefixes` with a name: the service numbers them from 1 in this order."""
        return [p for p in prefixes if (self.cleaned_data.get(f"{p}_name") or "").strip()]

    def _row(self, prefix: str) -> dict | None:
        d = self.cleaned_data
        name = (d.get(f"{prefix}_name") or "").strip()
        if not name:
            return None
        nik = d.get(f"{prefix}_nik") or ""
        for field in ("sex", "relation"):
            if not d.get(f"{prefix}_{field}"):
                self.add_error(f"{prefix}_{field}", _("Choose one for %(name)s.") % {"name": name})
        return {
            "nik": nik,
            "name": name,
            "sex": d.get(f"{prefix}_sex") or "",
            "birth_date": d.get(f"{prefix}_birth_date"),
            "relation": d.get(f"{prefix}_relation") or "",
        }

    def clean_member_niks(self, prefixes) -> None:
        for prefix in prefixes:
            name = f"{prefix}_nik"
            if name in self.cleaned_data:
                try:
                    self.cleaned_data[name] = _clean_number(self.cleaned_data[name], _("The NIK"))
                except forms.ValidationError as exc:
                    self.add_error(name, exc)


class FindingForm(MemberRowsMixin, forms.Form):
    """What the pillar found at a listed household."""

    kind = forms.ChoiceField(
        label=_("What did you find?"), choices=VISIT_KINDS, widget=forms.RadioSelect
    )
    visited_on = DateField(label=_("Visited on"), widget=DateInput())
    # Corrections: the household's own fields, prefilled with what the records hold.
    address = forms.CharField(label=_("Address"), max_length=250, required=False)
    rt_rw = forms.CharField(
        label=_("RT/RW"), max_length=7, required=False, help_text=_("As 001/002.")
    )
    decile = forms.TypedChoiceField(
        label=_("Welfare decile"),
        choices=DECILE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("When it changes, write in the note what you saw: income, house, assets."),
    )
    kk_number = _number_field(_("Correct KK number"), _("Only when the KK number is wrong."))
    dtsen_id = forms.CharField(label=_("DTSEN reference"), max_length=40, required=False)
    moved_to = forms.CharField(
        label=_("Moved to where?"),
        max_length=250,
        required=False,
        help_text=_("The new address, or the kelurahan or city if that is all that is known."),
    )
    deceased_member = forms.TypedChoiceField(
        label=_("Who died?"), coerce=int, required=False, empty_value=None
    )
    deceased_on = DateField(label=_("Died on"), required=False, widget=DateInput())
    split_members = forms.TypedMultipleChoiceField(
        label=_("Who left to form their own household?"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    note = forms.CharField(
        label=_("Note"), max_length=1000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    photo = PhotoField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, household, members, finding=None, **kwargs):
        self.household = household
        self.members = list(members)
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["visited_on"].high = today
        self.fields["deceased_on"].high = today
        choices = [(m.pk, m.name) for m in self.members]
        self.fields["deceased_member"].choices = [("", "—"), *choices]
        self.fields["split_members"].choices = choices
        for m in self.members:
            fields = _member_row_fields(f"m{m.pk}")
            fields[f"m{m.pk}_nik"].label = _("Correct NIK")
            fields[f"m{m.pk}_nik"].help_text = _("Only when the NIK is wrong.")
            self.fields.update(fields)
        for i in range(NEW_MEMBER_ROWS):
            self.fields.update(_member_row_fields(f"new{i}"))
        self.initial.update(self._initial(finding))

    def _initial(self, finding) -> dict:
        h = self.household
        initial = {
            "visited_on": timezone.localdate(),
            "address": h.address,
            "rt_rw": h.rt_rw,
            "decile": h.decile,
            "dtsen_id": h.dtsen_id,
        }
        for m in self.members:
            initial.update(
                {
                    f"m{m.pk}_name": m.name,
                    f"m{m.pk}_sex": m.sex,
                    f"m{m.pk}_birth_date": m.birth_date,
                    f"m{m.pk}_relation": m.relation,
                }
            )
        if finding is None:
            return initial
        # A returned finding: the form as the pillar sent it, to correct and send again.
        changes = finding.changes or {}
        initial.update(
            {
                "kind": finding.kind,
                "visited_on": finding.visited_on,
                "moved_to": finding.moved_to,
                "deceased_member": finding.deceased_member_id,
                "deceased_on": finding.deceased_on,
                "split_members": list(finding.split_members or []),
                "note": finding.note,
                "version": finding.version,
            }
        )
        for field in HOUSEHOLD_FIELDS:
            if field in changes:
                initial[field] = changes[field]
        for member_id, fields in (changes.get("members") or {}).items():
            for field, value in fields.items():
                initial[f"m{member_id}_{field}"] = value
        for i, row in enumerate((changes.get("new_members") or [])[:NEW_MEMBER_ROWS]):
            for field in MEMBER_FIELDS:
                initial[f"new{i}_{field}"] = row.get(field) or ""
        return initial

    def member_prefixes(self) -> list[str]:
        return [f"m{m.pk}" for m in self.members]

    def new_prefixes(self) -> list[str]:
        return [f"new{i}" for i in range(NEW_MEMBER_ROWS)]

    def member_rows(self):
        """(member, its bound fields) for the template."""
        return [(m, [self[f"m{m.pk}_{field}"] for field in MEMBER_FIELDS]) for m in self.members]

    def new_rows(self):
        return [
            [self[f"{prefix}_{field}"] for field in MEMBER_FIELDS] for prefix in self.new_prefixes()
        ]

    def clean_kk_number(self):
        return _clean_number(self.cleaned_data["kk_number"], _("The KK number"))

    def part_fields(self, kind: str) -> list[str]:
        """The fields of the part of the form only `kind` reads."""
        if kind != Finding.Kind.CORRECTED:
            return list(KIND_FIELDS.get(kind, ()))
        rows = self.member_prefixes() + self.new_prefixes()
        return [*HOUSEHOLD_FIELDS, *(f"{p}_{field}" for p in rows for field in MEMBER_FIELDS)]

    def clean(self):
        super().clean()
        kind = self.cleaned_data.get("kind")
        # The parts of the other kinds are not read: a slip typed there and left behind (a
        # NIK of 15 digits before choosing "data confirmed") is no error.
        for other in KIND_FIELDS:
            if other != kind:
                for name in self.part_fields(other):
                    self.errors.pop(name, None)
                    self.cleaned_data.pop(name, None)
        # What each kind needs is checked by the service (finding_record), whose messages
        # land on these same fields; the corrections are read here, as after-values.
        if kind == Finding.Kind.CORRECTED:
            self.clean_member_niks(self.member_prefixes() + self.new_prefixes())
            self.cleaned_data["changes"] = self.corrections()
        return self.cleaned_data

    def corrections(self) -> dict:
        """The corrections typed, as after-values: only what differs from the records."""
        d, h = self.cleaned_data, self.household
        changes: dict = {}
        for field in HOUSEHOLD_FIELDS:
            value = d.get(field)
            value = value.strip() if isinstance(value, str) else value
            # Left empty: as the records have it (a KK number is typed only when it is wrong).
            if value not in ("", None) and value != getattr(h, field):
                changes[field] = value
        if "decile" in changes and not (d.get("note") or "").strip():
            self.add_error(
                "note", _("The decile changed: write what you saw (income, house, assets).")
            )
        members = {}
        for m in self.members:
            changed = {}
            for field in MEMBER_FIELDS:
                value = d.get(f"m{m.pk}_{field}")
                value = value.strip() if isinstance(value, str) else value
                if field == "nik" and not value:
                    continue
                if value != getattr(m, field) and value not in ("", None):
                    changed[field] = value.isoformat() if field == "birth_date" else value
            if changed:
                members[str(m.pk)] = changed
        if members:
            changes["members"] = members
        new = [row for row in (self._row(p) for p in self.new_prefixes()) if row]
        if new:
            for row in new:
                row["birth_date"] = row["birth_date"].isoformat() if row["birth_date"] else None
            changes["new_members"] = new
        return changes

    def service_data(self) -> dict:
        """The data of `finding_record`: the kind and only the fields that kind needs."""
        d = self.cleaned_data
        kind = d["kind"]
        own = set(KIND_FIELDS.get(kind, ()))
        return {
            "kind": kind,
            "visited_on": d["visited_on"],
            "changes": d.get("changes", {}) if "corrections" in own else {},
            "moved_to": d["moved_to"].strip() if "moved_to" in own else "",
            "deceased_member": d.get("deceased_member") if "deceased_member" in own else None,
            "deceased_on": d.get("deceased_on") if "deceased_on" in own else None,
            "split_members": d.get("split_members") or [] if "split_members" in own else [],
            "note": d["note"].strip(),
        }


class ProposeForm(MemberRowsMixin, forms.Form):
    """A household the pillar found that is not on the round's list: the KK, where it lives,
    and its members, the head at least."""

    kk_number = forms.CharField(label=_("KK number"), max_length=40, widget=digits_input())
    area = forms.TypedChoiceField(label=_("Kelurahan"), coerce=int)
    address = forms.CharField(label=_("Address"), max_length=250)
    rt_rw = forms.CharField(
        label=_("RT/RW"), max_length=7, required=False, help_text=_("As 001/002.")
    )
    decile = forms.TypedChoiceField(
        label=_("Welfare decile (if known)"),
        choices=DECILE_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    dtsen_id = forms.CharField(label=_("DTSEN reference (if any)"), max_length=40, required=False)
    visited_on = DateField(label=_("Visited on"), widget=DateInput())
    note = forms.CharField(
        label=_("Why should this household be listed?"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photo = PhotoField(
        label=_("Photo"),
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*", "capture": "environment"}),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    @staticmethod
    def initial_of(proposed: dict, finding) -> dict:
        """The form as the pillar sent a proposal (to correct it after a return)."""
        initial = {
            field: proposed.get(field)
            for field in ("kk_number", "address", "rt_rw", "decile", "dtsen_id")
        }
        initial["area"] = proposed.get("area")
        for i, member in enumerate((proposed.get("members") or [])[:PROPOSED_MEMBER_ROWS]):
            for field in MEMBER_FIELDS:
                initial[f"p{i}_{field}"] = member.get(field) or ""
        if finding is not None:
            initial.update(
                visited_on=finding.visited_on, note=finding.note, version=finding.version
            )
        return initial

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        areas = list(areas)
        self.fields["area"].choices = [(a.pk, a.name) for a in areas]
        if len(areas) != 1:
            self.fields["area"].choices.insert(0, ("", "—"))
        self.fields["visited_on"].high = timezone.localdate()
        self.initial.setdefault("visited_on", timezone.localdate())
        for i in range(PROPOSED_MEMBER_ROWS):
            self.fields.update(_member_row_fields(f"p{i}", required_name=i == 0))
        self.initial.setdefault("p0_relation", Relation.HEAD)
        self.fields["p0_name"].label = _("Name of the head")

    def prefixes(self) -> list[str]:
        return [f"p{i}" for i in range(PROPOSED_MEMBER_ROWS)]

    def member_rows(self):
        return [[self[f"{p}_{field}"] for field in MEMBER_FIELDS] for p in self.prefixes()]

    def clean_kk_number(self):
        value = _clean_number(self.cleaned_data["kk_number"], _("The KK number"))
        if not value:
            raise forms.ValidationError(_("This field is required."))
        return value

    def clean(self):
        super().clean()
        self.clean_member_niks(self.prefixes())
        members = [row for row in (self._row(p) for p in self.prefixes()) if row]
        if members and not any(m["relation"] == Relation.HEAD for m in members):
            self.add_error("p0_relation", _("One member is the head of the household."))
        self.cleaned_data["members"] = members
        return self.cleaned_data

    def service_data(self) -> dict:
        d = self.cleaned_data
        return {
            "kk_number": d["kk_number"],
            "area": d["area"],
            "address": d["address"].strip(),
            "rt_rw": d["rt_rw"].strip(),
            "decile": d["decile"],
            "dtsen_id": d["dtsen_id"].strip(),
            "visited_on": d["visited_on"],
            "note": d["note"].strip(),
            "members": [
                {**m, "birth_date": m["birth_date"].isoformat() if m["birth_date"] else None}
                for m in d["members"]
            ],
        }


class MyVisitsFilter(forms.Form):
    q = SearchField(
        label=_("Search"),
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": _("head's name or last digits of the KK"),
                "aria-label": _("Search by the head's name or the last digits of the KK"),
            }
        ),
    )


class ReviewFilterForm(forms.Form):
    """The review list's filters: round, kelurahan, pillar and kind, among what the reviewer
    has waiting (the choices come from the view)."""

    round = forms.TypedChoiceField(label=_("Round"), coerce=int, required=False, empty_value=None)
    area = forms.TypedChoiceField(
        label=_("Kelurahan"), coerce=int, required=False, empty_value=None
    )
    person = forms.TypedChoiceField(label=_("Pillar"), coerce=int, required=False, empty_value=None)
    kind = forms.ChoiceField(
        label=_("Finding"), required=False, choices=[("", _("All")), *Finding.Kind.choices]
    )

    def __init__(self, *args, rounds=(), areas=(), people=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["round"].choices = [("", _("All rounds")), *rounds]
        self.fields["area"].choices = [("", _("All kelurahan")), *areas]
        self.fields["person"].choices = [("", _("All pillars")), *people]


class ReturnForm(forms.Form):
    note = forms.CharField(
        label=_("What should the pillar correct?"),
        max_length=250,
        widget=forms.TextInput(),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)
