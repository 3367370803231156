"""Demo data of the visits app, in dependency order."""

from . import feedback, rates, visits


def seed(ctx):
    visits.seed(ctx)
    feedback.seed(ctx)
    rates.seed(ctx)
