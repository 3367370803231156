"""The filters of the 上柜率 pages (the report, and its list of retailers without a brand on
shelf), and how a query string becomes a scope and a month. The report page, the list page
and their .xlsx exports all read their filters through ``shelf_rate_query``."""

import re
from dataclasses import dataclass
from datetime import date

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy

from accounts.validators import check_day
from retailers.models import RetailerClass, month_start

from .selectors.rates import RateScope, rate_scope_for

SCOPE_PARAMS = ("unit", "territory")


class MonthField(forms.CharField):
    """A month as YYYY-MM (or any day of it as YYYY-MM-DD), cleaned to its first day."""

    default_validators = [check_day]

    def to_python(self, value):
        value = super().to_python(value).strip()
        if not value:
            return None
        match = re.fullmatch(r"(\d{4})-(\d{1,2})(?:-\d{1,2})?", value)
        try:
            return date(int(match[1]), int(match[2]), 1) if match else date.fromisoformat(value)
        except ValueError as exc:
            raise forms.ValidationError(gettext_lazy("Enter a month as YYYY-MM.")) from exc


class ShelfRateFilterForm(forms.Form):
    month = MonthField(required=False, label=gettext_lazy("Month"))
    unit = forms.IntegerField(required=False, min_value=1)
    territory = forms.IntegerField(required=False, min_value=1)
    abc_class = forms.ChoiceField(
        required=False,
        label=gettext_lazy("Class"),
        choices=[("", gettext_lazy("All classes")), *RetailerClass.choices],
    )
    brand = forms.IntegerField(required=False, min_value=1, label=gettext_lazy("Brand"))
    new = forms.BooleanField(required=False, label=gettext_lazy("New brands only (新品上柜率)"))


@dataclass
class ShelfRateQuery:
    """What a 上柜率 query string asks for. ``refused``: it names a scope the user does not
    see, or a malformed one (the page is a 404)."""

    form: ShelfRateFilterForm
    month: date
    scope: RateScope | None
    abc_class: str
    brand_id: int | None
    new_only: bool
    refused: bool


def shelf_rate_query(user, params) -> ShelfRateQuery:
    """Read the filters; the scope defaults to the user's own (see ``rate_scope_for``) and the
    month to the current one."""
    form = ShelfRateFilterForm(params)
    form.is_valid()
    data = form.cleaned_data
    month = data.get("month") or month_start(timezone.localdate())
    malformed = any(name in form.errors for name in SCOPE_PARAMS)
    asked = data.get("unit") is not None or data.get("territory") is not None
    scope = None
    if not malformed:
        scope = rate_scope_for(user, unit_id=data.get("unit"), territory_id=data.get("territory"))
    return ShelfRateQuery(
        form=form,
        month=month,
        scope=scope,
        abc_class=data.get("abc_class") or "",
        brand_id=data.get("brand"),
        new_only=bool(data.get("new")),
        refused=malformed or (scope is None and asked),
    )
