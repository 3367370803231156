"""Importers of the visits app: the holiday calendar."""
