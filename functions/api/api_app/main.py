"""Entry points: ``app`` for uvicorn, ``handler`` for Lambda (Mangum, API Gateway HttpApi v2).

Importing this module reads the settings; a missing required value fails here, naming it.
On Lambda (``AWS_LAMBDA_FUNCTION_NAME`` is set) a configuration error is not raised from the
import: API Gateway would answer a bare 500 and ``sam local start-api`` a 200 whose body is
the error. ``handler`` then logs it and answers every request with the documented 503
``configuration_error`` (naming the missing variables), which the API's 5xx alarm counts.
"""

from __future__ import annotations

import json
import logging
import os
from typing import Any

from mangum import Mangum

from api_app.app import create_app
from shared.exceptions import ConfigurationError


def init_failure_handler(error: ConfigurationError) -> Any:
    """Return a Lambda handler answering 503 ``configuration_error`` to every request."""
    logging.getLogger("api_app").error("the API cannot start: %s", error.message)
    missing = error.details.get("missing")
    message = error.message if missing else "the API cannot start: invalid settings (see its log)"
    body = json.dumps({"message": message, "code": error.code})

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        logging.getLogger("api_app").error("the API cannot start: %s", error.message)
        return {
            "statusCode": 503,
            "headers": {"content-type": "application/json"},
            "body": body,
            "isBase64Encoded": False,
        }

    return handler


if os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
    try:
        app = create_app()
        handler: Any = Mangum(app, lifespan="off")
    except ConfigurationError as exc:
        handler = init_failure_handler(exc)
else:
    app = create_app()
    handler = Mangum(app, lifespan="off")
