from django import forms
from django.utils.translation import gettext_lazy as _

from .models import RetailerClass


class ClassOverrideForm(forms.Form):
    new_class = forms.ChoiceField(label=_("New class"), choices=RetailerClass.choices)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    pinned = forms.BooleanField(
        label=_("Keep it at the monthly classification (pin)"), required=False
    )
