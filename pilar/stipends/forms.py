from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pilar.casework.forms import area_filter_choices, month_field
from pilar.lib.fields import DateField, IntegerField, ModelMultipleChoiceField, SearchField
from pilar.lib.money import MoneyField
from pilar.regions.choices import AreaCodeField
from pilar.registry.forms import DateInput
from pilar.registry.models import PillarKind
from pilar.stipends.eligibility import STATE_LABELS
from pilar.stipends.models import FundingSource, StipendLine


def kind_choices():
    return [("", _("All kinds"))] + [(k.code, k.name) for k in PillarKind.objects.all()]


class DraftForm(forms.Form):
    first_month = month_field(label=_("First month"))
    last_month = month_field(label=_("Last month"))
    kinds = ModelMultipleChoiceField(
        label=_("Kinds of pillar"),
        queryset=PillarKind.objects.all(),
        widget=forms.CheckboxSelectMultiple,
    )
    arrears_from = month_field(
        label=_("Include unpaid months from"),
        required=False,
        help_text=_("Arrears: earlier months now eligible and never paid. Empty: none."),
    )
    year = IntegerField(
        label=_("Budget year"),
        min_value=2000,
        max_value=2100,
        initial=lambda: timezone.localdate().year,
    )
    title = forms.CharField(
        label=_("Title"),
        required=False,
        max_length=150,
        help_text=_("Empty: “Tali kasih” and the months."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kinds"].queryset = PillarKind.objects.filter(
            stipend_rates__isnull=False
        ).distinct()


class PaidOnForm(forms.Form):
    paid_on = DateField(label=_("Paid on"), widget=DateInput)


class BankResultForm(forms.Form):
    paid_on = DateField(label=_("Paid on"), widget=DateInput)
    file = forms.FileField(
        label=_("The bank's result file"),
        help_text=_(
            "XLSX, XLS, ODS or CSV with the columns Referensi, Nomor Rekening, Jumlah, Status."
        ),
    )


class RateForm(forms.Form):
    kind = forms.ModelChoiceField(label=_("Kind of pillar"), queryset=PillarKind.objects.all())
    amount = MoneyField(label=_("Amount per month (Rp)"), low=1)
    valid_from = month_field(label=_("From month"))
    valid_to = month_field(label=_("To month (optional)"), required=False)
    funding_source = forms.ChoiceField(label=_("Funding source"), choices=FundingSource.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=250)


class RateEndForm(forms.Form):
    valid_to = month_field(label=_("Last month of the rate"))


class BudgetForm(forms.Form):
    year = IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    funding_source = forms.ChoiceField(label=_("Funding source"), choices=FundingSource.choices)
    amount = MoneyField(label=_("Ceiling (Rp)"))
    note = forms.CharField(label=_("Note"), required=False, max_length=250)


class LineFilterForm(forms.Form):
    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name")}),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    area = AreaCodeField(label=_("Area"), required=False)
    status = forms.ChoiceField(
        label=_("Status"),
        required=False,
        choices=[("", _("All"))] + list(StipendLine.Status.choices),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()
        self.fields["area"].choices = area_filter_choices(user)


class EligibilityForm(forms.Form):
    month = month_field(label=_("Month"))
    kind = forms.ChoiceField(label=_("Kind"), required=False)
    area = AreaCodeField(label=_("Area"), required=False)
    state = forms.ChoiceField(
        label=_("State"),
        required=False,
        choices=[("", _("All"))] + list(STATE_LABELS.items()),
    )
    q = SearchField(
        label=_("Search"),
        required=False,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("Name")}),
    )

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kind_choices()
        self.fields["area"].choices = area_filter_choices(user)
