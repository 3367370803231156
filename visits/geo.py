"""Where a check-in was, seen from the shop: compass direction and a small sketch; and the
links that take a manager from today's route to a shop (map app, phone call).

Pure functions (no database); the review page shows them next to the distance flag, so a
supervisor reads "签到点在门店东北方向 292 米" without map tiles (the network is closed).
"""

import math
import re
from dataclasses import dataclass
from urllib.parse import quote, urlencode

from django.utils.translation import gettext_lazy as _

from imports.datum import Datum, from_wgs84

EARTH_RADIUS_M = 6371000

# Eight compass points, clockwise from north, each covering 45°.
DIRECTIONS = (
    _("north"),
    _("north-east"),
    _("east"),
    _("south-east"),
    _("south"),
    _("south-west"),
    _("west"),
    _("north-west"),
)

SKETCH_SIZE = 120  # the SVG's view box, in user units
SKETCH_REACH = 38  # the farthest point is drawn this far from the centre (clear of the 北 label)


def offset_m(from_lat, from_lng, to_lat, to_lng) -> tuple[float, float]:
    """(east, north) in metres from the first point to the second (flat-earth, short distances)."""
    lat1, lng1, lat2, lng2 = (math.radians(float(v)) for v in (from_lat, from_lng, to_lat, to_lng))
    east = (lng2 - lng1) * math.cos((lat1 + lat2) / 2) * EARTH_RADIUS_M
    north = (lat2 - lat1) * EARTH_RADIUS_M
    return east, north


def bearing_deg(from_lat, from_lng, to_lat, to_lng) -> float:
    """Initial great-circle bearing in degrees (0 = north, 90 = east)."""
    lat1, lng1, lat2, lng2 = (math.radians(float(v)) for v in (from_lat, from_lng, to_lat, to_lng))
    dlng = lng2 - lng1
    x = math.sin(dlng) * math.cos(lat2)
    y = math.cos(lat1) * math.sin(lat2) - math.sin(lat1) * math.cos(lat2) * math.cos(dlng)
    return math.degrees(math.atan2(x, y)) % 360


def compass_point(bearing: float):
    """The nearest of the eight compass points (a lazy translated string)."""
    return DIRECTIONS[int(((bearing % 360) + 22.5) // 45) % 8]


@dataclass(frozen=True)
class CheckInPlace:
    """The check-in point relative to the shop, ready for the review page."""

    distance_m: int
    direction: str
    shop_x: float
    shop_y: float
    point_x: float
    point_y: float


def check_in_place(shop_lat, shop_lng, lat, lng) -> CheckInPlace | None:
    """Direction, distance and sketch coordinates of a check-in; None without coordinates."""
    if None in (shop_lat, shop_lng, lat, lng):
        return None
    from .services.visits import distance_m

    east, north = offset_m(shop_lat, shop_lng, lat, lng)
    reach = max(abs(east), abs(north), 1.0)
    centre = SKETCH_SIZE / 2
    scale = SKETCH_REACH / reach
    return CheckInPlace(
        distance_m=distance_m(shop_lat, shop_lng, lat, lng),
        direction=compass_point(bearing_deg(shop_lat, shop_lng, lat, lng)),
        shop_x=centre,
        shop_y=centre,
        point_x=round(centre + east * scale, 1),
        point_y=round(centre - north * scale, 1),
    )


@dataclass(frozen=True)
class ShopLinks:
    """How to reach a shop from the phone; an empty string where the shop lacks the data."""

    geo: str  # geo: URI (RFC 5870, WGS-84): Android opens the map app the user chose
    amap: str  # Amap's web URI in GCJ-02, for phones without a geo: handler (iOS)
    tel: str  # tel: URI from the shop's phone number


def geo_uri(lat, lng, label: str) -> str:
    """``geo:lat,lng?q=lat,lng(label)``: WGS-84 as the RFC says, with the label convention
    Android map apps read (the label percent-encoded)."""
    point = f"{lat},{lng}"
    return f"geo:{point}?q={point}({quote(label, safe='')})"


def amap_uri(lat, lng, label: str) -> str:
    """Amap's marker URI; Amap works in GCJ-02, so the WGS-84 point is converted first."""
    g_lat, g_lng = from_wgs84(lat, lng, Datum.GCJ02)
    query = {"position": f"{g_lng},{g_lat}", "name": label, "coordinate": "gaode"}
    return "https://uri.amap.com/marker?" + urlencode({**query, "callnative": 1}, safe=",")


def tel_uri(phone: str) -> str:
    """``tel:`` with the digits of a phone number (and a leading +); empty without digits."""
    digits = re.sub(r"[^0-9+]", "", phone or "")
    digits = digits[:1] + digits[1:].replace("+", "")
    return f"tel:{digits}" if re.search(r"[0-9]", digits) else ""


def shop_links(retailer) -> ShopLinks:
    located = retailer.latitude is not None and retailer.longitude is not None
    lat, lng, name = retailer.latitude, retailer.longitude, retailer.shop_name
    return ShopLinks(
        geo=geo_uri(lat, lng, name) if located else "",
        amap=amap_uri(lat, lng, name) if located else "",
        tel=tel_uri(retailer.phone),
    )
