"""A module that imports."""
