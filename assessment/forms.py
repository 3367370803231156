"""Forms of the assessment pages. They check shapes only; the rules live in the services."""

from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Role, User
from retailers.models import Retailer
from visits.models import Visit

from .selectors import open_month_for, scheme_for


def manager_choices(user):
    managers = (
        User.objects.visible_to(user)
        .filter(role=Role.CUSTOMER_MANAGER, is_active=True)
        .order_by("employee_no")
        .values_list("pk", "name", "employee_no")
    )
    return [("", "---------")] + [(pk, f"{name}（{no}）") for pk, name, no in managers]


class _BootstrapForm(forms.Form):
    """Bootstrap classes on the widgets, so templates render ``{{ field }}`` as is."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            css = "form-select" if isinstance(widget, forms.Select) else "form-control"
            if isinstance(field, forms.DateField):
                widget.input_type = "date"
                widget.format = "%Y-%m-%d"
            widget.attrs["class"] = css

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                self.fields[name].widget.attrs["class"] += " is-invalid"


class _ManagerForm(_BootstrapForm):
    # An id, not a ModelChoiceField: a manager outside the user's subtree is the service's
    # ``User.DoesNotExist`` and answers 404, as everywhere else.
    manager = forms.IntegerField(label=_("Customer manager"), widget=forms.Select)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["manager"].widget.choices = manager_choices(user)


class InspectionForm(_ManagerForm):
    inspected_on = forms.DateField(label=_("Date"))
    item_code = forms.ChoiceField(label=_("Item"))
    points = forms.DecimalField(
        label=_("Deduction"), min_value=Decimal("0.01"), max_digits=5, decimal_places=2
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}))
    visit = forms.IntegerField(label=_("Visit number"), required=False, min_value=1)
    license_no = forms.CharField(label=_("Retailer licence number"), required=False)
    photo = forms.ImageField(label=_("Photo"), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.fields["inspected_on"].initial = timezone.localdate()
        company = user.company
        scheme = scheme_for(open_month_for(timezone.localdate(), company), company)
        self.fields["item_code"].choices = [("", "---------")] + [
            (item.code, f"{item.name}（{item.max_points:g}）")
            for item in scheme.items.order_by("position", "pk")
        ]

    def clean_visit(self):
        pk = self.cleaned_data.get("visit")
        if not pk:
            return None
        visit = Visit.objects.visible_to(self.user).filter(pk=pk).first()
        if visit is None:
            raise forms.ValidationError(_("No visit with this number in your area."))
        return visit

    def clean_license_no(self):
        license_no = (self.cleaned_data.get("license_no") or "").strip()
        if not license_no:
            return None
        retailer = Retailer.objects.visible_to(self.user).filter(license_no=license_no).first()
        if retailer is None:
            raise forms.ValidationError(_("No retailer with this licence number in your area."))
        return retailer


class BonusForm(_ManagerForm):
    day = forms.DateField(label=_("Date"))
    points = forms.DecimalField(
        label=_("Bonus points"), min_value=Decimal("0.01"), max_digits=5, decimal_places=2
    )
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user, **kwargs):
        # Shown on the inspection page next to the deduction form: its own field ids.
        kwargs.setdefault("auto_id", "id_bonus_%s")
        super().__init__(*args, user=user, **kwargs)
        self.fields["day"].initial = timezone.localdate()


class AppealForm(_BootstrapForm):
    reason = forms.CharField(label=_("Reason for the appeal"), widget=forms.Textarea())


class DecideForm(_BootstrapForm):
    decision = forms.ChoiceField(
        label=_("Decision"), choices=[("accept", _("Accept")), ("reject", _("Reject"))]
    )
    reason = forms.CharField(label=_("Reason for the decision"), widget=forms.Textarea())


class MonthActionForm(forms.Form):
    action = forms.ChoiceField(
        choices=[
            ("close", _("Compute")),
            ("review", _("Open review")),
            ("publish", _("Publish")),
            ("send_back", _("Send back to draft")),
        ]
    )
    month = forms.DateField(label=_("Month"))
    confirm = forms.BooleanField(required=False)  # publishing asks first
    reason = forms.CharField(label=_("Reason"), required=False, max_length=1000)

    def clean_month(self):
        return self.cleaned_data["month"].replace(day=1)


class AuditFilterForm(_BootstrapForm):
    model = forms.ChoiceField(label=_("Record type"), required=False, choices=())
    date_from = forms.DateField(label=_("From"), required=False)
    date_to = forms.DateField(label=_("To"), required=False)

    def __init__(self, *args, models, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("All"))] + models
