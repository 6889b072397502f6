"""Delivery core: the API_CALL_LAMBDA event, the allow-list, signing and the HTTP call.

Standard library, urllib3, standardwebhooks and Powertools only: no pydantic, no boto3 at
import time (boto3 is imported lazily, only to dead-letter or to read a secret).
"""
