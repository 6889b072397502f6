"""Counts how many times each test schedules module body was executed."""

from collections import Counter

IMPORTS: Counter[str] = Counter()
