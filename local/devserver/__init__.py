"""``make run`` (the API with the local backend, plus the batch worker) and ``make demo``."""
