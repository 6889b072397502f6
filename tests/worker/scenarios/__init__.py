"""Schedules modules that the process tests load with BATCH_SCHEDULES_PACKAGES."""
