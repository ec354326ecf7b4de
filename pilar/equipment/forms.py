from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from pilar.accounts.access import Capability, office_scope_q
from pilar.equipment.models import Condition, HandoverLine, HandoverWitness, Item, Repair, Return
from pilar.equipment.selectors import CatalogFilter, HandoverFilter, HoldingFilter, ReturnFilter
from pilar.equipment.services import MAX_QUANTITY, MAX_WITNESSES
from pilar.lib import params
from pilar.lib.fields import DateField, IntegerField, SearchField
from pilar.regions.choices import area_choices
from pilar.regions.models import Area
from pilar.registry.forms import DateInput
from pilar.registry.models import Person, PillarKind, person_scope_q
from pilar.trainings.models import TrainingEvent


def _search(placeholder):
    return SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": placeholder, "type": "search"}),
    )


def _item_field(required=False):
    return forms.ModelChoiceField(
        label=_("Item"),
        queryset=Item.objects.order_by("name"),
        required=required,
        empty_label=_("All items") if not required else "---------",
    )


def _category_field():
    return forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *Item.Category.choices],
    )


# Above this many people a list of every person cannot be sent (a national registry holds
# millions): the receiver is given by NIK instead (docs/PERFORMANCE.md).
MAX_PERSON_CHOICES = 500


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Person) -> str:
        return f"{obj.name} ({obj.masked_nik})"

    def by_nik_when_many(self) -> None:
        """When the registry is too large for a list, take the person's NIK in a text box."""
        if self.queryset.order_by()[: MAX_PERSON_CHOICES + 1].count() <= MAX_PERSON_CHOICES:
            return
        self.to_field_name = "nik"
        self.widget = forms.TextInput(
            attrs={"inputmode": "numeric", "maxlength": 16, "autocomplete": "off"}
        )
        self.help_text = _("The person's NIK, 16 digits.")
        self.error_messages = {
            **self.error_messages,
            "invalid_choice": _("No person in the registry has this NIK."),
        }


def _people():
    return Person.objects.order_by("name", "pk")


class OfficeForm(forms.Form):
    """A form whose choices are limited to what `user` may name (docs/EQUIPMENT.md, "Many
    offices"): the items and training events of their office, the people they may hand items
    to or take them back from. Without `user` (never in a page) every row is a choice."""

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        if user is None:
            return
        for field in self.fields.values():
            model = getattr(getattr(field, "queryset", None), "model", None)
            if model is Item or model is TrainingEvent:
                field.queryset = field.queryset.filter(office_scope_q(user))
            elif model is Person:
                field.queryset = field.queryset.filter(
                    person_scope_q(user, Capability.EQUIPMENT_EDIT)
                )


# --- filters -----------------------------------------------------------------------------------


class CatalogFilterForm(OfficeForm):
    q = _search(_("name or asset code"))
    category = _category_field()
    active = forms.ChoiceField(
        label=_("In use"),
        required=False,
        choices=[("yes", _("In use")), ("no", _("No longer in use")), ("all", _("All"))],
    )

    def catalog_filter(self) -> CatalogFilter:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        active = {"yes": True, "no": False, "all": None}[data.get("active") or "yes"]
        return CatalogFilter(
            category=data.get("category") or "", q=data.get("q") or "", active=active
        )


class HoldingFilterForm(OfficeForm):
    q = _search(_("name or item"))
    item = _item_field()
    category = _category_field()
    kind = forms.ChoiceField(label=_("Kind of pillar"), required=False)
    area = forms.ChoiceField(label=_("Kecamatan or kelurahan of duty"), required=False)

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["kind"].choices = [
            ("", _("All kinds")),
            *PillarKind.objects.values_list("code", "name"),
        ]
        self.fields["area"].choices = [
            ("", _("All areas")),
            *area_choices(user, Capability.EQUIPMENT_VIEW, highest=Area.Level.KECAMATAN),
        ]

    def holding_filter(self) -> HoldingFilter:
        data = self.cleaned_data if self.is_bound else {}
        code = data.get("area") or ""
        return HoldingFilter(
            item=data.get("item"),
            category=data.get("category") or "",
            kind=data.get("kind") or "",
            area=Area.objects.filter(code=code).first() if code else None,
            q=data.get("q") or "",
        )


class HandoverFilterForm(OfficeForm):
    q = _search(_("number, giver, place or receiver"))
    year = IntegerField(label=_("Year"), required=False, min_value=2000, max_value=2100)
    item = _item_field()
    event = forms.ModelChoiceField(
        label=_("Training event"),
        queryset=TrainingEvent.objects.select_related("course").order_by("-start_date"),
        required=False,
        empty_label=_("Any"),
    )
    person = IntegerField(
        widget=forms.HiddenInput, required=False, min_value=0, max_value=params.MAX_ID
    )

    def handover_filter(self) -> HandoverFilter:
        data = self.cleaned_data if self.is_bound else {}
        person_id = data.get("person")
        event = data.get("event")
        return HandoverFilter(
            year=data.get("year"),
            item=data.get("item"),
            person=Person.objects.filter(pk=person_id).first() if person_id else None,
            event_id=event.pk if event else None,
            q=data.get("q") or "",
        )


class ReturnFilterForm(OfficeForm):
    q = _search(_("name, item or reason"))
    item = _item_field()
    condition = forms.ChoiceField(
        label=_("Condition"),
        required=False,
        choices=[("", _("Any condition")), *Return._meta.get_field("condition").choices],
    )

    def return_filter(self) -> ReturnFilter:
        data = self.cleaned_data if self.is_bound else {}
        return ReturnFilter(
            item=data.get("item"), condition=data.get("condition") or "", q=data.get("q") or ""
        )


# --- writes ------------------------------------------------------------------------------------


class ItemForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=150)
    category = forms.ChoiceField(label=_("Category"), choices=Item.Category.choices)
    unit = forms.CharField(
        label=pgettext_lazy("measure", "Unit"),
        max_length=20,
        help_text=_("For example: buah, unit, set."),
    )
    asset_code = forms.CharField(
        label=_("Asset register code"),
        max_length=60,
        required=False,
        help_text=_("The code in the regional asset register (KIB), if the item is registered."),
    )
    needs_return = forms.BooleanField(
        label=_("Must be returned when the pillar leaves"), required=False
    )
    active = forms.BooleanField(label=_("In use"), required=False, initial=True)


class ReceiptForm(OfficeForm):
    item = forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.filter(active=True))
    received_on = DateField(
        label=_("Date received"), widget=DateInput(), initial=timezone.localdate
    )
    quantity = IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY)
    source = forms.CharField(
        label=_("Source"), max_length=150, help_text=_("For example: APBD 2024, Kemensos.")
    )
    note = forms.CharField(label=_("Note"), max_length=250, required=False)


class BastForm(OfficeForm):
    """What every BAST says besides its lines: when, where, who gave, who witnessed."""

    handed_on = DateField(
        label=_("Date of handover"), widget=DateInput(), initial=timezone.localdate
    )
    place = forms.CharField(label=_("Place"), max_length=200, required=False)
    giver_name = forms.CharField(label=_("Handed over by"), max_length=150)
    giver_title = forms.CharField(label=_("Giver's position"), max_length=150, required=False)
    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class WitnessForm(forms.Form):
    name = forms.CharField(
        label=_("Witness's name"),
        max_length=HandoverWitness._meta.get_field("name").max_length,
        required=False,
        help_text=_("Whole, with degrees: Dra. Rina Marlina, S.Sos, M.Si"),
    )
    position = forms.CharField(
        label=_("Witness's position"),
        max_length=HandoverWitness._meta.get_field("position").max_length,
        required=False,
    )

    def clean(self):
        data = super().clean()
        if data.get("position") and not data.get("name"):
            self.add_error("name", _("Give the witness's name, not only the position."))
        return data

    def pair(self):
        name = self.cleaned_data.get("name")
        return (name, self.cleaned_data.get("position") or "") if name else None


class HandoverLineForm(OfficeForm):
    person = PersonChoiceField(label=_("Receiver"), queryset=_people(), required=False)
    item = forms.ModelChoiceField(
        label=_("Item"), queryset=Item.objects.filter(active=True), required=False
    )
    quantity = IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, required=False, initial=1
    )
    condition = forms.ChoiceField(
        label=_("Condition"),
        choices=HandoverLine._meta.get_field("condition").choices,
        initial=Condition.NEW,
    )
    note = forms.CharField(
        label=_("Condition note"),
        max_length=HandoverLine._meta.get_field("note").max_length,
        required=False,
        help_text=_("Required when damaged: what is wrong."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].by_nik_when_many()

    def clean(self):
        data = super().clean()
        filled = [data.get("person"), data.get("item")]
        if any(filled) and not all(filled):
            raise forms.ValidationError(_("Choose both the receiver and the item, or neither."))
        if all(filled) and not data.get("quantity"):
            self.add_error("quantity", _("Give how many."))
        if all(filled) and data.get("condition") == Condition.DAMAGED and not data.get("note"):
            self.add_error("note", _("Say what is damaged."))
        return data

    def line(self):
        data = self.cleaned_data
        if not data.get("person"):
            return None
        return (data["person"], data["item"], data["quantity"], data["condition"], data["note"])


# A BAST made by hand lists at most this many lines (a training event's BAST is made from its
# attendance instead); the form grows one line at a time (docs/EQUIPMENT.md).
MAX_FORM_LINES = 200
FIRST_LINES = 4
FIRST_WITNESSES = 2


class _BoundedFormSet(forms.BaseFormSet):
    what = ""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.error_messages = {
            **self.error_messages,
            "too_many_forms": self.too_many % {"max": self.max_num},
        }


class _LineFormSet(_BoundedFormSet):
    too_many = _("A BAST made here lists at most %(max)s lines; split it into several BASTs.")


class _WitnessFormSet(_BoundedFormSet):
    too_many = _("A BAST has at most %(max)s witnesses.")


def line_formset(extra: int = FIRST_LINES):
    return forms.formset_factory(
        HandoverLineForm,
        formset=_LineFormSet,
        extra=extra,
        max_num=MAX_FORM_LINES,
        absolute_max=MAX_FORM_LINES,
        validate_max=True,
    )


def witness_formset(extra: int = FIRST_WITNESSES):
    return forms.formset_factory(
        WitnessForm,
        formset=_WitnessFormSet,
        extra=extra,
        max_num=MAX_WITNESSES,
        absolute_max=MAX_WITNESSES,
        validate_max=True,
    )


HandoverLineFormSet = line_formset()
WitnessFormSet = witness_formset()


def raw_rows(formset) -> list[dict]:
    """What was typed in each form of a bound `formset`, unvalidated, to show it again."""
    return [{name: form[name].value() for name in form.fields} for form in formset.forms]


class FromEventForm(BastForm):
    event = forms.ModelChoiceField(
        label=_("Training event"),
        queryset=TrainingEvent.objects.select_related("course").order_by("-start_date"),
    )
    handed_on = DateField(
        label=_("Date of handover"),
        widget=DateInput(),
        required=False,
        help_text=_("Empty: the event's last day."),
    )

    field_order = ["event"]

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        items = Item.objects.filter(active=True)
        if user is not None:
            items = items.filter(office_scope_q(user))
        self.items = list(items.order_by("name"))
        for item in self.items:
            self.fields[f"item_{item.pk}"] = IntegerField(
                label=_("%(item)s, each (%(unit)s)") % {"item": item.name, "unit": item.unit},
                min_value=0,
                max_value=100,
                required=False,
            )

    def item_fields(self):
        return [self[f"item_{item.pk}"] for item in self.items]

    def other_fields(self):
        return [f for f in self if not f.name.startswith("item_")]

    def chosen_items(self) -> list[tuple[Item, int]]:
        return [
            (item, self.cleaned_data[f"item_{item.pk}"])
            for item in self.items
            if self.cleaned_data.get(f"item_{item.pk}")
        ]

    def clean(self):
        data = super().clean()
        if not self.errors and not self.chosen_items():
            raise forms.ValidationError(
                _("Give how many of at least one item each attendee receives.")
            )
        return data


class ReturnPersonForm(OfficeForm):
    person = PersonChoiceField(label=_("Returned by"), queryset=_people())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["person"].by_nik_when_many()


class ReturnForm(OfficeForm):
    person = forms.ModelChoiceField(queryset=_people(), widget=forms.HiddenInput)
    item = forms.ModelChoiceField(label=_("Item"), queryset=Item.objects.all())
    quantity = IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, initial=1)
    condition = forms.ChoiceField(
        label=_("Condition"), choices=Return._meta.get_field("condition").choices
    )
    returned_on = DateField(
        label=_("Date returned"), widget=DateInput(), initial=timezone.localdate
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=250,
        required=False,
        help_text=_("Required when damaged or lost."),
    )
    received_by = forms.CharField(label=_("Received by"), max_length=150, required=False)

    def __init__(self, *args, held_items=None, **kwargs):
        super().__init__(*args, **kwargs)
        if held_items is not None:
            self.fields["item"].queryset = self.fields["item"].queryset.filter(pk__in=held_items)


class RepairForm(forms.Form):
    quantity = IntegerField(label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, initial=1)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Repair.Outcome.choices)
    done_on = DateField(label=_("Date"), widget=DateInput(), initial=timezone.localdate)
    note = forms.CharField(
        label=_("What was done"),
        max_length=Repair._meta.get_field("note").max_length,
        help_text=_("E.g. antenna replaced; or why it is beyond repair."),
    )
    done_by = forms.CharField(
        label=_("Repaired or assessed by"), max_length=Repair._meta.get_field("done_by").max_length
    )


REVERSE, AMEND = "reverse", "amend"


class _CorrectionForm(forms.Form):
    action = forms.ChoiceField(
        label=_("Correction"),
        widget=forms.RadioSelect,
        choices=[
            (REVERSE, _("Reverse: the record was a mistake and counts no more")),
            (AMEND, _("Amend: replace it with the values below")),
        ],
        initial=REVERSE,
    )
    reversal_reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=HandoverLine._meta.get_field("reversal_reason").max_length,
        help_text=_("Kept with the record and in the audit log."),
    )

    def clean(self):
        data = super().clean()
        if data.get("action") == AMEND:
            for name in self.amend_required:
                if data.get(name) in (None, ""):
                    self.add_error(name, _("Give the corrected value."))
        return data

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        return {
            "reversal_reason": data.pop("reversal_reason"),
            "amend": data.pop("action") == AMEND,
            **(data if self.cleaned_data["action"] == AMEND else {}),
        }


class LineCorrectionForm(_CorrectionForm):
    amend_required = ["quantity", "condition"]
    quantity = IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, required=False
    )
    condition = forms.ChoiceField(
        label=_("Condition"),
        choices=HandoverLine._meta.get_field("condition").choices,
        required=False,
    )
    note = forms.CharField(
        label=_("Condition note"),
        max_length=HandoverLine._meta.get_field("note").max_length,
        required=False,
    )


class ReturnCorrectionForm(_CorrectionForm):
    amend_required = ["quantity", "condition", "returned_on"]
    quantity = IntegerField(
        label=_("Quantity"), min_value=1, max_value=MAX_QUANTITY, required=False
    )
    condition = forms.ChoiceField(
        label=_("Condition"), choices=Return._meta.get_field("condition").choices, required=False
    )
    returned_on = DateField(label=_("Date returned"), widget=DateInput(), required=False)
    reason = forms.CharField(
        label=_("Reason (damaged or lost)"),
        max_length=Return._meta.get_field("reason").max_length,
        required=False,
    )
    received_by = forms.CharField(
        label=_("Received by"),
        max_length=Return._meta.get_field("received_by").max_length,
        required=False,
    )
