"""Entry points: ``app`` for uvicorn, ``handler`` for Lambda (Mangum, API Gateway HttpApi v2).

Importing this module reads the settings; a missing required value fails here, naming it.
"""

from __future__ import annotations

from mangum import Mangum

from api_app.app import create_app

app = create_app()
handler = Mangum(app, lifespan="off")
