from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RetailersConfig(AppConfig):
    name = "retailers"
    verbose_name = _("Retailers and brands")
