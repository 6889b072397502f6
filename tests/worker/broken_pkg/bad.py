"""A module that fails at import time, as a typo or a missing setting would."""

raise RuntimeError("this schedules module is broken on purpose")
