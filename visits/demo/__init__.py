"""Demo data of the visits app, in dependency order."""

from . import visits


def seed(ctx):
    visits.seed(ctx)
