"""Jobs for ``python -m worker preview`` tests, in their own registry."""
