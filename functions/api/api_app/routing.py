"""``DeclaredRoute``: a route that keeps what it was declared with and builds nothing at import.

FastAPI builds a route's request handling (the dependency tree of its endpoint, one pydantic
adapter per parameter, body and response, the handler) when the route is declared, i.e. when
its module is imported, and again for every ``include_router`` of its router, from the same
declaration, when the app first routes a request (its "effective route context"). Every route
of this API is included in the app, so the first build serves nothing; it was ~30 % of the
instructions our modules added to the Lambda cold start (``bench/cold_start.py``).

A ``DeclaredRoute`` (``APIRouter(route_class=DeclaredRoute)``) stores its declaration (the
arguments ``APIRouter.add_api_route`` passes) as its attributes, which is all the inclusion
reads, and runs ``APIRoute.__init__`` on the first access to any other attribute: whatever
FastAPI reads from it directly is built as an ``APIRoute`` would have built it, so behaviour
is unchanged, only the unused build is skipped. ``tests/api/test_cold_start.py`` checks that
serving requests and the OpenAPI document build none of the API's routes;
``tests/api/test_routing.py`` that routes declared either way answer and document alike.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.routing import APIRoute


class DeclaredRoute(APIRoute):
    """An ``APIRoute`` built on the first access to an attribute its declaration lacks."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **declaration: Any) -> None:
        if "form_limits" in declaration:  # validated by APIRoute: built now
            super().__init__(path, endpoint, **declaration)
            return
        # Besides the declaration, the inclusion reads two attributes APIRoute sets without an
        # argument: these are their values for an endpoint that returns (not yields) a value,
        # which every endpoint of this API does, and for a route without form limits.
        vars(self).update(declaration, path=path, endpoint=endpoint)
        vars(self).update(stream_item_type=None, form_limits={})
        vars(self)["_declaration"] = (path, endpoint, declaration)

    def __getattr__(self, name: str) -> Any:
        """Build the route (``APIRoute.__init__``) and return the attribute it then has."""
        declaration = vars(self).pop("_declaration", None)
        if declaration is None:
            raise AttributeError(name)
        path, endpoint, arguments = declaration
        APIRoute.__init__(self, path, endpoint, **arguments)
        return getattr(self, name)

    @property
    def built(self) -> bool:
        """Whether the route has built its own request handling (tests check it has not)."""
        return "_declaration" not in vars(self)
