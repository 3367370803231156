"""The limits every imported file is held to (DOMAIN.md §9): rules as data.

A province default (no company) and optional city overrides, versioned by the month they take
effect, like the other rules (``accounts.models.CityRuleQuerySet``).
"""

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import CityRuleQuerySet, rule_company_field


class FileLimits(models.Model):
    version = models.PositiveIntegerField(_("version"), unique=True)
    company = rule_company_field()
    effective_from = models.DateField(_("effective from"))
    xlsx_max_unpacked_mb = models.PositiveIntegerField(
        _("an .xlsx unpacks to at most (MB)"), default=200
    )
    max_rows = models.PositiveIntegerField(_("rows per file at most"), default=2_000_000)
    max_columns = models.PositiveSmallIntegerField(_("columns per file at most"), default=64)
    max_cell_chars = models.PositiveIntegerField(_("characters per cell at most"), default=1000)
    order_max_cartons = models.PositiveIntegerField(
        _("cartons (条) per order line at most (absolute value)"), default=5000
    )
    order_max_amount = models.DecimalField(
        _("amount (元) per order line at most (absolute value)"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("2000000"),
    )
    latitude_min = models.DecimalField(
        _("latitude from"), max_digits=5, decimal_places=2, default=Decimal("3")
    )
    latitude_max = models.DecimalField(
        _("latitude to"), max_digits=5, decimal_places=2, default=Decimal("54")
    )
    longitude_min = models.DecimalField(
        _("longitude from"), max_digits=5, decimal_places=2, default=Decimal("73")
    )
    longitude_max = models.DecimalField(
        _("longitude to"), max_digits=5, decimal_places=2, default=Decimal("136")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = CityRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("file limits")
        verbose_name_plural = _("file limits")
        ordering = ["-effective_from", "-version"]
        constraints = [
            models.CheckConstraint(
                condition=Q(effective_from__day=1), name="file_limits_effective_first_day"
            ),
            models.CheckConstraint(
                condition=Q(
                    xlsx_max_unpacked_mb__gte=1,
                    max_rows__gte=1,
                    max_columns__gte=1,
                    max_columns__lte=16384,
                    max_cell_chars__gte=1,
                    max_cell_chars__lte=32767,
                    order_max_cartons__gte=1,
                    order_max_amount__gt=0,
                ),
                name="file_limits_positive",
            ),
            models.CheckConstraint(
                condition=Q(latitude_min__gte=-90, latitude_max__lte=90)
                & Q(longitude_min__gte=-180, longitude_max__lte=180)
                & Q(latitude_min__lt=models.F("latitude_max"))
                & Q(longitude_min__lt=models.F("longitude_max")),
                name="file_limits_coordinates",
            ),
        ]

    def __str__(self):
        return _("File limits v%(version)s from %(month)s") % {
            "version": self.version,
            "month": self.effective_from.strftime("%Y-%m"),
        }
