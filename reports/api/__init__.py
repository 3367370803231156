"""REST API of the reports app, one module per area."""

from . import pay


def register(router):
    for module in (pay,):
        module.register(router)
