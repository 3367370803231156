"""Where a check-in was, seen from the shop: compass direction and a small sketch.

Pure functions (no database); the review page shows them next to the distance flag, so a
supervisor reads "签到点在门店东北方向 292 米" without map tiles (the network is closed).
"""

import math
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

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
