"""Charges by the causation principle: itemised statements from the agreements' price lines."""
