"""REST API of the visits app, one module per area."""

from . import feedback, nearby, plans, rates, visits


def register(router):
    for module in (plans, visits, feedback, rates, nearby):
        module.register(router)
