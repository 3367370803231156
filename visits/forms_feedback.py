"""Forms of the information, complaint, survey and work-plan pages. They only check and
convert input; the writes (and the business rules) are in ``visits.services.feedback``."""

import uuid

from django import forms
from django.utils.translation import gettext_lazy as _

from retailers.models import Retailer

from .models import LeadStatus, SurveyChannel

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def _required(message):
    return {"required": message}


class InfoReviewForm(forms.Form):
    valid = forms.TypedChoiceField(
        choices=[("1", _("Valid")), ("0", _("Invalid"))],
        coerce=lambda value: value == "1",
        error_messages=_required(_("Choose valid or invalid.")),
    )


class LeadUpdateForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Follow-up"),
        choices=LeadStatus.choices,
        error_messages=_required(_("Choose a follow-up status.")),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ComplaintOpenForm(forms.Form):
    content = forms.CharField(
        label=_("Complaint"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages=_required(_("Write down what the retailer complains about.")),
    )
    opened_at = forms.DateTimeField(
        label=_("Received at"),
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M"],
        help_text=_("Leave empty for now."),
        error_messages={"invalid": _("Enter a date and time.")},
    )
    # Generated with the page: a second click on "open" finds the first complaint.
    client_id = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)


class RespondForm(forms.Form):
    note = forms.CharField(
        label=_("Response"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=_required(_("Describe the response.")),
    )


class ResolveForm(forms.Form):
    resolution = forms.CharField(
        label=_("Resolution"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages=_required(_("Describe how the complaint was resolved.")),
    )


class CloseForm(forms.Form):
    substantiated = forms.TypedChoiceField(
        label=_("Substantiated"),
        choices=[("1", _("Substantiated")), ("0", _("Not substantiated"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        error_messages=_required(_("Say whether the complaint was substantiated.")),
    )


COMPLAINT_ACTION_FORMS = {"respond": RespondForm, "resolve": ResolveForm, "close": CloseForm}


class SurveyForm(forms.Form):
    license_no = forms.CharField(
        label=_("Licence number"),
        max_length=12,
        error_messages=_required(_("Enter the retailer's licence number.")),
    )
    score = forms.TypedChoiceField(
        label=_("Score"),
        choices=[(str(n), str(n)) for n in range(1, 6)],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("Choose a score from 1 to 5."),
            "invalid_choice": _("Choose a score from 1 to 5."),
        },
    )
    surveyed_on = forms.DateField(
        label=_("Date"),
        error_messages={
            "required": _("Enter the date of the survey."),
            "invalid": _("Enter a valid date."),
        },
    )
    channel = forms.ChoiceField(
        label=_("Taken by"),
        choices=SurveyChannel.choices,
        error_messages=_required(_("Choose who took the survey.")),
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=500)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.retailer = None

    def clean_license_no(self):
        value = self.cleaned_data["license_no"].strip()
        self.retailer = Retailer.objects.visible_to(self.user).filter(license_no=value).first()
        if self.retailer is None:
            raise forms.ValidationError(_("No retailer you can see has this licence number."))
        return value


class WorkPlanSubmitForm(forms.Form):
    content = forms.CharField(
        label=_("Plan"),
        max_length=10000,
        widget=forms.Textarea(attrs={"rows": 6}),
        error_messages=_required(_("Write the plan before submitting it.")),
    )
