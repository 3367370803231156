"""Importers of the org tree, territories and staff (the engine is ``imports``)."""
