"""REST API of the reports app, one module per area."""

from . import alerts, dashboards, pay


def register(router):
    for module in (pay, dashboards, alerts):
        module.register(router)
