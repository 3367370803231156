"""Shops near a position: the unplanned visit's "附近门店" list.

One bounded query: a bounding box around the position (plain range filters on latitude and
longitude) narrows the user's active shops, the haversine term is computed in SQL (the math
functions exist on PostgreSQL and on SQLite through Django) to keep only the shops inside
the radius, and the nearest ``limit`` come back in distance order. Coordinates are WGS-84,
as phone browsers report them.
"""

import math
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, FloatField, Value
from django.db.models.functions import Cast, Cos, Radians, Sin

from retailers.models import Retailer

from ..services.visits import distance_m

EARTH_RADIUS_M = 6371000
# Metres per degree of latitude on the sphere the haversine uses (a degree of longitude is
# this times cos(latitude)).
METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180
NEARBY_LIMIT = 20
NEARBY_RADIUS_M = 10000


@dataclass(frozen=True)
class NearbyShop:
    retailer: Retailer
    distance_m: int


def _bounding_box(lat: float, lng: float, radius_m: int):
    """(south, north, west, east) in degrees: every point within ``radius_m`` lies inside."""
    d_lat = radius_m / METRES_PER_DEGREE
    cos_lat = math.cos(math.radians(min(abs(lat) + d_lat, 89.9)))
    d_lng = min(radius_m / (METRES_PER_DEGREE * cos_lat), 180)

    def degrees(value):
        return Decimal(f"{value:.6f}")

    return (
        degrees(lat - d_lat),
        degrees(lat + d_lat),
        degrees(lng - d_lng),
        degrees(lng + d_lng),
    )


def nearby_retailers(
    user, lat: float, lng: float, *, limit: int = NEARBY_LIMIT, radius_m: int = NEARBY_RADIUS_M
) -> list[NearbyShop]:
    """The user's active shops within ``radius_m`` of (lat, lng), nearest first (one query).

    Scoped by ``Retailer.objects.visible_to(user)``; shops without coordinates are left out.
    Ties keep the shop id order, so the list is stable.
    """
    south, north, west, east = _bounding_box(lat, lng, radius_m)
    lat0, lng0 = math.radians(lat), math.radians(lng)
    shop_lat = Radians(Cast("latitude", FloatField()))
    shop_lng = Radians(Cast("longitude", FloatField()))
    half_dlat = Sin((shop_lat - Value(lat0)) / Value(2.0))
    half_dlng = Sin((shop_lng - Value(lng0)) / Value(2.0))
    # haversine(d / R) = sin²(Δφ/2) + cos φ0 · cos φ · sin²(Δλ/2); it grows with d, so the
    # distance order is its order and the radius is a bound on it.
    haversine = half_dlat * half_dlat + Value(math.cos(lat0)) * Cos(shop_lat) * (
        half_dlng * half_dlng
    )
    bound = math.sin(radius_m / (2 * EARTH_RADIUS_M)) ** 2
    shops = (
        Retailer.objects.visible_to(user)
        .active()
        .filter(
            latitude__isnull=False,
            longitude__isnull=False,
            latitude__range=(south, north),
            longitude__range=(west, east),
        )
        .annotate(haversine=Cast(haversine, FloatField()))
        .filter(haversine__lte=bound)
        .order_by(F("haversine").asc(), "pk")
        .only("pk", "shop_name", "address", "phone", "latitude", "longitude")[:limit]
    )
    return [NearbyShop(shop, distance_m(lat, lng, shop.latitude, shop.longitude)) for shop in shops]
