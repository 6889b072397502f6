"""One error shape for every route: ``{"message": ..., "code": ...}``, mapped in one place."""

# No `from __future__ import annotations`: see api_app.models (cold start).
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from api_app.models import ApiModel
from shared.exceptions import (
    AuthenticationError,
    BackendUnavailableError,
    CallbackSchedulerError,
    ConfigurationError,
    ForbiddenError,
    InvalidFieldError,
    InvalidRequestError,
    PayloadTooLargeError,
    ScheduleValidationError,
    TargetNotAllowedError,
    TaskConflictError,
    TaskNotFoundError,
    ThrottledError,
)
from shared.log import get_logger

logger = get_logger()
# pydantic names the member of an optional field's union in ``loc``; clients need the field
_UNION_TAGS = frozenset({"constrained-str", "constrained-int", "constrained-float"})
HTTP_CODES = {404: "not_found", 405: "method_not_allowed", 413: "payload_too_large"}

# Most specific first: the first matching class decides the status.
STATUS_BY_ERROR: tuple[tuple[type[CallbackSchedulerError], int], ...] = (
    (PayloadTooLargeError, 413),
    (InvalidFieldError, 422),
    (ScheduleValidationError, 422),
    (TargetNotAllowedError, 422),
    (InvalidRequestError, 400),
    (AuthenticationError, 401),
    (ForbiddenError, 403),
    (TaskNotFoundError, 404),
    (TaskConflictError, 409),
    (ThrottledError, 429),
    (BackendUnavailableError, 503),
    (ConfigurationError, 503),
)


class ErrorPublic(ApiModel):
    """The body of every error response."""

    message: str
    code: str
    errors: list[dict[str, Any]] | None = None


def error_response(
    status: int,
    message: str,
    code: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    """Build the one error shape; ``errors`` lists field problems for 422s."""
    body = ErrorPublic(message=_printable(message), code=code, errors=errors)
    headers = dict(headers or {})
    if status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def status_for(exc: CallbackSchedulerError) -> int:
    """Return the HTTP status of a domain error (500 when unmapped)."""
    for error_type, status in STATUS_BY_ERROR:
        if isinstance(exc, error_type):
            return status
    return 500


async def _domain_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CallbackSchedulerError)
    status = status_for(exc)
    if status >= 500:
        logger.error("request failed", extra={"code": exc.code, "path": request.url.path})
    return error_response(status, exc.message, exc.code)


async def _validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {
            "loc": [_printable(part) for part in err.get("loc", ()) if part not in _UNION_TAGS],
            "msg": _printable(err.get("msg")),
        }
        for err in exc.errors()
    ]
    if any(err.get("type") == "json_invalid" for err in exc.errors()):
        return error_response(400, "request body is not valid JSON", "malformed_json")
    first = problems[0] if problems else {"loc": [], "msg": "invalid request"}
    message = f"{'.'.join(first['loc'][1:]) or 'request'}: {first['msg']}"
    return error_response(422, message, "validation_error", errors=problems)


def _printable(value: object) -> str:
    """Return ``value`` as text that can always be encoded (lone surrogates escaped)."""
    return str(value if value is not None else "").encode("utf-8", "backslashreplace").decode()


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    headers = dict(exc.headers or {})
    if status == 400:  # FastAPI could not decode the body (not UTF-8, too deep, not JSON)
        return error_response(400, "request body is not valid JSON", "malformed_json")
    if status == 405:
        headers["Allow"] = _allowed_methods(request) or headers.get("Allow", "")
    message = {404: "Not Found", 405: "Method Not Allowed"}.get(status, str(exc.detail))
    return error_response(status, message, HTTP_CODES.get(status, "error"), headers=headers)


def _allowed_methods(request: Request) -> str:
    """Every method some route accepts at this path (Starlette names only the first route's)."""
    allowed = [
        method
        for method in ("DELETE", "GET", "HEAD", "PATCH", "POST", "PUT")
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL
            for route in request.app.router.routes
        )
    ]
    return ", ".join(allowed)


async def _unexpected_error(request: Request, exc: Exception) -> JSONResponse:
    logger.exception("unexpected error", extra={"path": request.url.path})
    return error_response(500, "internal error", "internal_error")


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every failure into the one error shape."""
    app.add_exception_handler(CallbackSchedulerError, _domain_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected_error)


# The documented error responses of a route. They name ``ErrorPublic`` by reference instead of
# ``"model": ErrorPublic``: FastAPI builds one pydantic TypeAdapter per model response per route
# when the route is declared (54 of them on the cold-start path, for the docs only), whereas
# ``install_error_schema`` adds the one schema when the OpenAPI document is first asked for.
_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorPublic"}}}
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"description": description, "content": _ERROR_CONTENT}
    for status, description in (
        (400, "Malformed request (body not UTF-8 JSON) or a next_token we did not issue"),
        (401, "Missing or invalid credentials"),
        (413, "Request or task input too large"),
        (422, "Invalid field, schedule, time zone or target"),
        (429, "Throttled by the scheduling backend"),
        (503, "Scheduling backend unavailable or misconfigured"),
    )
}


def install_error_schema(app: FastAPI) -> None:
    """Make ``app.openapi()`` define ``ErrorPublic``, which ``ERROR_RESPONSES`` refers to."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = build()
            schemas = document.setdefault("components", {}).setdefault("schemas", {})
            if "ErrorPublic" not in schemas:
                schemas["ErrorPublic"] = _error_schema()
                document["components"]["schemas"] = dict(sorted(schemas.items()))
        return app.openapi_schema or build()

    app.openapi = openapi  # type: ignore[method-assign]


def _error_schema() -> dict[str, Any]:
    """``ErrorPublic``'s schema exactly as FastAPI writes a response model's."""
    probe = APIRoute("/", _error_response_probe, response_model=ErrorPublic)
    document = get_openapi(title="errors", version="0", routes=[probe])
    schema: dict[str, Any] = document["components"]["schemas"]["ErrorPublic"]
    return schema


async def _error_response_probe() -> None:
    """Only documented (by ``_error_schema``), never routed."""
