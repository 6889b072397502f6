"""A schedules package with one module that cannot be imported."""
