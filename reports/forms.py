"""Forms of the pay pages: the what-if draft scheme."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.validators import check_day

from .models import ScoreMode, Tier
from .pay import PRICE_CLASSES, TIERS, PayRules, validate_scheme

MONEY = {"max_digits": 10, "decimal_places": 2}


class MonthInput(forms.DateInput):
    input_type = "month"

    def format_value(self, value):
        return value.strftime("%Y-%m") if hasattr(value, "strftime") else value


class MonthField(forms.DateField):
    """A month entered as YYYY-MM (or an ISO date in it); cleaned to its first day."""

    widget = MonthInput
    default_validators = [check_day]

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", ["%Y-%m", "%Y-%m-%d"])
        super().__init__(**kwargs)

    def clean(self, value):
        day = super().clean(value)
        return day.replace(day=1) if day else day


class WhatIfForm(forms.Form):
    """A draft pay scheme: piece rates, score mode and bands, floor/cap, tier table."""

    month = MonthField(label=_("Month"))
    score_mode = forms.ChoiceField(label=_("Score coefficient"), choices=ScoreMode.choices)
    score_bands = forms.CharField(
        label=_("Score bands"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One band a line: lowest score, coefficient (e.g. “90, 1.1”)."),
    )
    floor = forms.DecimalField(label=_("Floor"), required=False, min_value=0, **MONEY)
    cap = forms.DecimalField(label=_("Cap"), required=False, min_value=0, **MONEY)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for price_class in PRICE_CLASSES:
            self.fields[f"rate_{price_class}"] = forms.DecimalField(
                label=_("Class %(n)s (元/箱)") % {"n": price_class}, min_value=0, **MONEY
            )
        for tier in TIERS:
            label = Tier(tier).label
            self.fields[f"{tier}_coefficient"] = forms.DecimalField(
                label=_("%(tier)s coefficient") % {"tier": label},
                min_value=0,
                max_digits=6,
                decimal_places=4,
            )
            self.fields[f"{tier}_allowance"] = forms.DecimalField(
                label=_("%(tier)s allowance") % {"tier": label}, min_value=0, **MONEY
            )
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    @classmethod
    def initial_for(cls, scheme, month) -> dict:
        data = PayRules.from_scheme(scheme).to_data()
        initial = {
            "month": month,
            "score_mode": data["score_mode"],
            "score_bands": "\n".join(f"{low}, {coef}" for low, coef in data["score_bands"]),
            "floor": scheme.floor,
            "cap": scheme.cap,
        }
        for key, rate in data["piece_rates"].items():
            initial[f"rate_{key}"] = Decimal(rate)
        for tier, values in data["tiers"].items():
            initial[f"{tier}_coefficient"] = Decimal(values["coefficient"])
            initial[f"{tier}_allowance"] = Decimal(values["allowance"])
        return initial

    def rate_fields(self):
        return [self[f"rate_{c}"] for c in PRICE_CLASSES]

    def tier_fields(self):
        return [(self[f"{t}_coefficient"], self[f"{t}_allowance"]) for t in TIERS]

    def clean_score_bands(self):
        bands = []
        for number, line in enumerate(self.cleaned_data["score_bands"].splitlines(), start=1):
            if not line.strip():
                continue
            parts = [p.strip() for p in line.replace("，", ",").split(",")]
            try:
                low, coef = (Decimal(p) for p in parts)
            except (InvalidOperation, ValueError) as exc:
                raise forms.ValidationError(
                    _("Line %(n)s: write the lowest score and the coefficient, e.g. “90, 1.1”.")
                    % {"n": number}
                ) from exc
            bands.append([str(low), str(coef)])
        return bands

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        scheme = {
            "piece_rates": {str(c): str(data[f"rate_{c}"]) for c in PRICE_CLASSES},
            "score_mode": data["score_mode"],
            "score_bands": data["score_bands"],
            "tiers": {
                t: {
                    "coefficient": str(data[f"{t}_coefficient"]),
                    "allowance": str(data[f"{t}_allowance"]),
                }
                for t in TIERS
            },
            "floor": data.get("floor"),
            "cap": data.get("cap"),
        }
        errors = validate_scheme(**scheme)
        if errors:
            raise forms.ValidationError(errors)
        data["rules"] = PayRules.from_data(**scheme)
        return data
