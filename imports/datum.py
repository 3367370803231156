"""Coordinate datums: everything is stored in WGS-84 (what phone browsers report).

Chinese map services publish GCJ-02 (国测局坐标, "Mars coordinates": WGS-84 shifted by an
obfuscation formula) and Baidu BD-09 (GCJ-02 shifted again). A file with coordinates names its
datum (a column or an import option), never a silent default; ``to_wgs84`` converts on the way
in and ``from_wgs84`` on the way out (map links open the map app in its own datum).

The forward formulas are the published ones; GCJ-02 → WGS-84 has no closed form and is solved
by fixed-point iteration to well under a centimetre. Outside China GCJ-02 equals WGS-84.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.utils.translation import gettext_lazy as _


class Datum(models.TextChoices):
    WGS84 = "wgs84", _("WGS-84 (GPS, phone browsers)")
    GCJ02 = "gcj02", _("GCJ-02 (Amap, Tencent maps)")
    BD09 = "bd09", _("BD-09 (Baidu maps)")


# The words a file may use for a datum (compared loosely: case, spaces, - and _ ignored).
DATUM_WORDS = {
    Datum.WGS84: ["WGS-84", "WGS84", "GPS", "WGS"],
    Datum.GCJ02: ["GCJ-02", "GCJ02", "国测局", "火星坐标", "高德", "腾讯"],
    Datum.BD09: ["BD-09", "BD09", "百度", "BD09LL"],
}

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the GCJ-02 formula uses
_EE = 0.00669342162296594323
_X_PI = math.pi * 3000.0 / 180.0
SIX_PLACES = Decimal("0.000001")


def _outside_china(lat: float, lng: float) -> bool:
    return not (72.004 <= lng <= 137.8347 and 0.8293 <= lat <= 55.8271)


def _delta(lat: float, lng: float) -> tuple[float, float]:
    x, y = lng - 105.0, lat - 35.0
    d_lat = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    d_lat += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    d_lat += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2 / 3
    d_lat += (160.0 * math.sin(y / 12.0 * math.pi) + 320 * math.sin(y * math.pi / 30.0)) * 2 / 3
    d_lng = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    d_lng += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2 / 3
    d_lng += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2 / 3
    d_lng += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2 / 3
    rad = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(rad) ** 2
    sqrt_magic = math.sqrt(magic)
    d_lat = (d_lat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrt_magic) * math.pi)
    d_lng = (d_lng * 180.0) / (_A / sqrt_magic * math.cos(rad) * math.pi)
    return d_lat, d_lng


def wgs84_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    if _outside_china(lat, lng):
        return lat, lng
    d_lat, d_lng = _delta(lat, lng)
    return lat + d_lat, lng + d_lng


def gcj02_to_wgs84(lat: float, lng: float) -> tuple[float, float]:
    if _outside_china(lat, lng):
        return lat, lng
    w_lat, w_lng = lat, lng
    for _step in range(30):
        g_lat, g_lng = wgs84_to_gcj02(w_lat, w_lng)
        e_lat, e_lng = g_lat - lat, g_lng - lng
        w_lat, w_lng = w_lat - e_lat, w_lng - e_lng
        if abs(e_lat) < 1e-10 and abs(e_lng) < 1e-10:
            break
    return w_lat, w_lng


def gcj02_to_bd09(lat: float, lng: float) -> tuple[float, float]:
    z = math.sqrt(lng * lng + lat * lat) + 0.00002 * math.sin(lat * _X_PI)
    theta = math.atan2(lat, lng) + 0.000003 * math.cos(lng * _X_PI)
    return z * math.sin(theta) + 0.006, z * math.cos(theta) + 0.0065


def bd09_to_gcj02(lat: float, lng: float) -> tuple[float, float]:
    x, y = lng - 0.0065, lat - 0.006
    z = math.sqrt(x * x + y * y) - 0.00002 * math.sin(y * _X_PI)
    theta = math.atan2(y, x) - 0.000003 * math.cos(x * _X_PI)
    return z * math.sin(theta), z * math.cos(theta)


def _six(value: float) -> Decimal:
    return Decimal(repr(value)).quantize(SIX_PLACES, rounding=ROUND_HALF_UP)


def to_wgs84(lat, lng, datum: str) -> tuple[Decimal, Decimal]:
    """``lat``/``lng`` (any numbers) in ``datum`` → WGS-84 as Decimals with 6 places."""
    lat, lng = float(lat), float(lng)
    datum = Datum(datum)
    if datum == Datum.BD09:
        lat, lng = gcj02_to_wgs84(*bd09_to_gcj02(lat, lng))
    elif datum == Datum.GCJ02:
        lat, lng = gcj02_to_wgs84(lat, lng)
    return _six(lat), _six(lng)


def from_wgs84(lat, lng, datum: str) -> tuple[Decimal, Decimal]:
    """WGS-84 → ``datum`` (for links that open a map app in its own datum)."""
    lat, lng = float(lat), float(lng)
    datum = Datum(datum)
    if datum == Datum.GCJ02:
        lat, lng = wgs84_to_gcj02(lat, lng)
    elif datum == Datum.BD09:
        lat, lng = gcj02_to_bd09(*wgs84_to_gcj02(lat, lng))
    return _six(lat), _six(lng)


def parse_datum(value: str) -> str:
    """A datum cell or option: WGS-84 / GCJ-02 / BD-09 (also 高德, 百度 …)."""
    from .parsing import parse_choice

    return parse_choice(DATUM_WORDS)(value)


def coordinate_errors(lat, lng, limits) -> list[tuple[str, object, str]]:
    """``[(column key, value, reason)]`` for coordinates outside the file limits (DOMAIN §9:
    by default 3–54° N, 73–136° E); empty when both lie inside."""
    from django.utils.translation import gettext as _

    def shown(value):
        return format(Decimal(value).normalize(), "f")

    errors = []
    if not limits.latitude_min <= Decimal(lat) <= limits.latitude_max:
        errors.append(
            (
                "latitude",
                lat,
                _("A latitude lies between %(min)s and %(max)s degrees north.")
                % {"min": shown(limits.latitude_min), "max": shown(limits.latitude_max)},
            )
        )
    if not limits.longitude_min <= Decimal(lng) <= limits.longitude_max:
        errors.append(
            (
                "longitude",
                lng,
                _("A longitude lies between %(min)s and %(max)s degrees east.")
                % {"min": shown(limits.longitude_min), "max": shown(limits.longitude_max)},
            )
        )
    return errors
