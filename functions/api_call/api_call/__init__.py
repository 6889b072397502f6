"""API_CALL_LAMBDA: the thin handler around the shared delivery core."""
