"""A schedules package whose sub-package fails to import."""
