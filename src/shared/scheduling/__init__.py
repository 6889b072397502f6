"""Scheduling port (``port``), its domain types (``types``) and adapters."""
