"""Views of the visits app, one module per area (plans, visits, feedback, shelf rates)."""
