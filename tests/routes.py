"""One list of every route of the product, from the URLconf and the API router, so a page
or endpoint added later cannot escape the tests that sweep them (the access matrix, the
leader's write refusals, page sweeps)."""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver


@dataclass(frozen=True)
class Route:
    name: str | None
    pattern: str
    api: bool

    def url(self, values: dict) -> str:
        return fill(self.pattern, values)


def _walk(patterns, prefix="", namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            space = namespace
            if pattern.namespace:
                space = f"{namespace}{pattern.namespace}:"
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), space)
        elif isinstance(pattern, URLPattern):
            name = f"{namespace}{pattern.name}" if pattern.name else None
            yield prefix + str(pattern.pattern), name


def fill(route: str, values: dict) -> str:
    """A URL from a route or regex pattern: named arguments from ``values`` (else "1")."""
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values.get(m[1], 1)), route)
    route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values.get(m[1], 1)), route)
    return "/" + route.replace("^", "").replace("$", "").replace("\\.", ".")


def product_routes() -> list[Route]:
    """Every page and API route of the product (not the admin site, not format suffixes)."""
    routes = []
    for pattern, name in _walk(get_resolver().url_patterns):
        if pattern.startswith("admin/") or "(?P<format>" in pattern or "format>" in pattern:
            continue
        routes.append(Route(name, pattern, pattern.startswith("api/")))
    return routes
