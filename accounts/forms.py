from django.contrib.auth import forms as auth_forms
from django.utils.translation import gettext_lazy as _

from .models import User


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


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's form (its password validators, translated messages), phone-friendly inputs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.update({"class": "form-control form-control-lg"})
