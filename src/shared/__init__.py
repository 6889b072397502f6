"""Shared core of callback-scheduler: settings, models, errors, scheduling port, delivery.

Keep this module empty of imports: API_CALL_LAMBDA imports ``shared.delivery`` on a cold
start and must not pay for pydantic or boto3 through this package.
"""
