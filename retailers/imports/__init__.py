"""Importers of retailers, brands, order lines and targets (the engine is ``imports``)."""
