"""Password validators with Chinese messages.

Django 5.2 changed the minimum-length error to a ``%d`` message that its own zh_Hans
catalogue does not translate yet; this validator raises the message under the earlier
``%(min_length)d`` wording, which the catalogue does translate (密码长度太短。…).
"""

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    def get_error_message(self):
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def validate(self, password, user=None):
        if len(password) < self.min_length:
            raise ValidationError(self.get_error_message(), code="password_too_short")
