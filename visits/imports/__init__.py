"""Importers of the visits app: historical visits from a previous system (``visits``)."""
