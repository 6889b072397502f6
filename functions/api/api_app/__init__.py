"""The callback-scheduler HTTP API (FastAPI; Mangum on Lambda, uvicorn locally)."""
