"""Importers of the org tree, territories and staff (see ``imports.kinds``)."""
