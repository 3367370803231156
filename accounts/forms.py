from django import forms
from django.contrib.auth import forms as auth_forms
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from . import services
from .models import OrgKind, OrgUnit, User


class LoginForm(auth_forms.AuthenticationForm):
    """Login by employee number (工号), with phone-friendly inputs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].label = _("Employee number")
        self.fields["username"].widget.attrs.update(
            {
                "autocomplete": "username",
                "autocapitalize": "none",
                "class": "form-control form-control-lg",
            }
        )
        self.fields["password"].widget.attrs.update({"class": "form-control form-control-lg"})


class UserCreationForm(auth_forms.AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("employee_no", "name", "role", "org_unit")


class UserChangeForm(auth_forms.UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


class OrgUnitAdminForm(forms.ModelForm):
    """The admin's org-unit form: a move to another parent takes its effective date."""

    move_effective_from = forms.DateField(
        label=_("Move effective from"),
        required=False,
        help_text=_("Required when the parent changes: the day the move takes effect."),
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = OrgUnit
        fields = ["name", "code", "kind", "parent", "address", "is_active"]

    def clean(self):
        data = super().clean()
        unit = self.instance
        if unit.pk is None or "parent" not in self.changed_data:
            return data
        parent, day = data.get("parent"), data.get("move_effective_from")
        stored = OrgUnit.objects.get(pk=unit.pk)
        if parent is not None and parent.is_within(stored):
            self.add_error("parent", _("A unit cannot be moved under itself."))
        elif day is None:
            self.add_error("move_effective_from", _("Give the date the move takes effect."))
        else:
            new_city = stored if stored.kind == OrgKind.COMPANY else services.city_of(parent)
            last = stored.moves.aggregate(last=Max("effective_from"))["last"]
            error = services.move_date_error(
                day,
                city_ids=[
                    getattr(services.city_of(stored), "pk", None),
                    getattr(new_city, "pk", None),
                ],
                last_move=last,
            )
            if error:
                self.add_error("move_effective_from", error)
        return data


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form (its password validators, translated messages), phone-friendly inputs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.update({"class": "form-control form-control-lg"})
