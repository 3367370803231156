"""REST API of the reports app, one module per area."""

from . import dashboards, pay


def register(router):
    for module in (pay, dashboards):
        module.register(router)
